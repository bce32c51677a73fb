// RuleCompiler: under construction
