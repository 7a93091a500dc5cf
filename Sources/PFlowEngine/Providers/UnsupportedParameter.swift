import Foundation

/// The fix for a 400 that names a request parameter the model does not support, read from
/// the `param` field of OpenAI's error body (`{"error": {"param": "max_tokens", ...}}`).
///
/// OpenAI's reasoning models refuse `max_tokens` and any temperature but 1; a workflow
/// written for an older model meets that as a 400 that no retry can fix, so the message
/// says what to change in the file.
enum UnsupportedParameter {
    private struct Body: Decodable {
        struct Detail: Decodable {
            var param: String?
            var code: String?
        }

        var error: Detail?
    }

    static func fix(in body: Data, provider: String) -> String? {
        guard let detail = try? JSONDecoder().decode(Body.self, from: body).error, let param = detail.param,
            detail.code == nil || detail.code == "unsupported_parameter" || detail.code == "unsupported_value"
        else { return nil }
        switch param {
        case "max_tokens":
            return "this model wants max_completion_tokens: set max_tokens_field: max_completion_tokens "
                + "on provider '\(provider)'"
        case "max_completion_tokens":
            return "this server reads max_tokens: set max_tokens_field: max_tokens on provider '\(provider)'"
        case "temperature":
            return "this model accepts only its default temperature: remove temperature from the step and "
                + "from defaults"
        case "reasoning_effort":
            return "this model does not take reasoning_effort: remove it, or use one of minimal, low, medium, high"
        default:
            return "the server does not accept the parameter '\(param)'"
        }
    }
}
