import PFlowSpec

/// libFuzzer's entry point: one input is one workflow file's bytes.
///
/// It drives the whole `pflow validate` path in PFlowSpec — YAML, decoding, validation, the
/// graph — renders every diagnostic (rendering walks the notes and locations built from the
/// same bytes), and plans a valid workflow as `pflow plan` would. Crashes, hangs, leaks and
/// memory errors are libFuzzer's and AddressSanitizer's to report, so it always returns 0.
@_cdecl("LLVMFuzzerTestOneInput")
public func compileOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let compilation = WorkflowCompiler.compile(source: bytes, file: "fuzz.yaml", environment: ["PFLOW_FUZZ_KEY": "set"])
    for diagnostic in compilation.diagnostics {
        _ = diagnostic.rendered
    }
    if let graph = compilation.graph, let workflow = compilation.workflow {
        _ = Plan.make(graph: graph, workflow: workflow, mapWidths: [:])
    }
    return 0
}
