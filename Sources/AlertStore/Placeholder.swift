// AlertStore: under construction
