// KafkaIngest: under construction
