// DetectionTesting: under construction
