print("mock server: not built yet")
