import CRdKafka

extension KafkaError.Code {
    /// A file or file-system error (`__FS`), e.g. an unreadable ledger file.
    public static let fileSystem = KafkaError.Code(RD_KAFKA_RESP_ERR__FS)
}
