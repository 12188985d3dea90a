package chatpulse.peers.streams;

import chatpulse.peers.facts.DeadLetters;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a poison record, unchanged, to the dead-letter topic ({@code errors.dead.letter.queue.topic.name})
 * with chatpulse's dead-letter headers, inside the task's transaction, and goes on; logs them at most once
 * per interval with a count, since bad records are data and may be many. Any other exception is a bug and
 * stops processing, so that nothing is dropped silently.
 */
public final class DeadLetterHandler implements ProcessingExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterHandler.class);
    private static final long LOG_INTERVAL_NANOS = 10_000_000_000L;

    private String topic;
    private long lastLog;
    private long suppressed;

    @Override
    public void configure(Map<String, ?> configs) {
        Object t = configs.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
        if (t == null || t.toString().isEmpty()) {
            throw new IllegalArgumentException(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG + " is not set");
        }
        topic = t.toString();
    }

    @Override
    public Response handleError(ErrorHandlerContext ctx, Record<?, ?> record, Exception exception) {
        if (!(exception instanceof DecodeProcessor.PoisonRecordException poison)) {
            LOG.error("processing failed at {}-{}@{} in {}", ctx.topic(), ctx.partition(), ctx.offset(), ctx.processorNodeId(), exception);
            return Response.fail();
        }
        logRateLimited(ctx, poison);
        return Response.resume(List.of(new ProducerRecord<>(topic, null, ctx.timestamp(), ctx.sourceRawKey(),
                ctx.sourceRawValue(), headers(ctx, poison))));
    }

    static List<Header> headers(ErrorHandlerContext ctx, DecodeProcessor.PoisonRecordException poison) {
        return List.of(
                header(DeadLetters.HEADER_REASON, poison.reason()),
                header(DeadLetters.HEADER_ERROR, poison.getMessage()),
                header(DeadLetters.HEADER_TOPIC, ctx.topic()),
                header(DeadLetters.HEADER_PARTITION, Integer.toString(ctx.partition())),
                header(DeadLetters.HEADER_OFFSET, Long.toString(ctx.offset())),
                header(DeadLetters.HEADER_FORMAT, DeadLetters.FORMAT));
    }

    private static Header header(String key, String value) {
        return new RecordHeader(key, value.getBytes(StandardCharsets.UTF_8));
    }

    private synchronized void logRateLimited(ErrorHandlerContext ctx, DecodeProcessor.PoisonRecordException poison) {
        long now = System.nanoTime();
        if (lastLog != 0 && now - lastLog < LOG_INTERVAL_NANOS) {
            suppressed++;
            return;
        }
        LOG.warn("dead-lettered record {}-{}@{}: {} ({} more since the last report)", ctx.topic(), ctx.partition(),
                ctx.offset(), poison.getMessage(), suppressed);
        lastLog = now;
        suppressed = 0;
    }
}
