#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/*
 * rd_kafka_producev() is variadic, which Swift cannot call. This fixed-arity
 * wrapper produces one message with RD_KAFKA_MSG_F_COPY (librdkafka copies the
 * key and value before returning, so the caller's buffers may be reused).
 * partition: RD_KAFKA_PARTITION_UA (-1) lets the configured partitioner pick.
 * key may be NULL (keylen 0); value may be NULL (len 0, a tombstone).
 */
static inline rd_kafka_resp_err_t
qly_rd_kafka_produce_copy(rd_kafka_t *rk, const char *topic, int32_t partition,
                          const void *key, size_t keylen,
                          const void *value, size_t len) {
        return rd_kafka_producev(rk,
                                 RD_KAFKA_V_TOPIC(topic),
                                 RD_KAFKA_V_PARTITION(partition),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_KEY(key, keylen),
                                 RD_KAFKA_V_VALUE((void *)value, len),
                                 RD_KAFKA_V_END);
}
