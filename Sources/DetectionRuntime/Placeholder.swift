// DetectionRuntime: under construction
