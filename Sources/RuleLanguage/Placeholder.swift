// RuleLanguage: under construction
