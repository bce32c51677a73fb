// Pipeline: under construction
