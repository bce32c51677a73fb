// AnalystAPI: under construction
