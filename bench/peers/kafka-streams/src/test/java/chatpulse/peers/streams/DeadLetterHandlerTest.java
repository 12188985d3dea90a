package chatpulse.peers.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chatpulse.peers.facts.DecodeException;
import java.util.Map;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

class DeadLetterHandlerTest {
    /** The context of a record at raw-3@17. */
    private record Context(byte[] sourceRawValue) implements ErrorHandlerContext {
        public String topic() {
            return "raw";
        }

        public int partition() {
            return 3;
        }

        public long offset() {
            return 17;
        }

        public Headers headers() {
            return new RecordHeaders();
        }

        public String processorNodeId() {
            return "decode";
        }

        public TaskId taskId() {
            return new TaskId(0, 3);
        }

        public long timestamp() {
            return 5;
        }

        public byte[] sourceRawKey() {
            return null;
        }
    }

    private static DeadLetterHandler handler() {
        DeadLetterHandler h = new DeadLetterHandler();
        h.configure(Map.of(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, "dlq"));
        return h;
    }

    @Test
    void aPoisonRecordIsDeadLetteredAndProcessingGoesOn() {
        var poison = new DecodeProcessor.PoisonRecordException(new DecodeException(DecodeException.Reason.MISSING_FIELD, "missing props"));
        var r = handler().handleError(new Context(new byte[] {'{'}), new Record<>(null, null, 5), poison);
        assertEquals(ProcessingExceptionHandler.Result.RESUME, r.result());
        assertEquals(1, r.deadLetterQueueRecords().size());
        var rec = r.deadLetterQueueRecords().get(0);
        assertEquals("dlq", rec.topic());
        assertEquals("missing_field", new String(rec.headers().lastHeader("chatpulse.reason").value()));
        assertEquals("17", new String(rec.headers().lastHeader("chatpulse.source.offset").value()));
    }

    @Test
    void anyOtherExceptionIsABugAndStopsProcessing() {
        var r = handler().handleError(new Context(new byte[0]), new Record<>(null, null, 5), new IllegalStateException("bug"));
        assertEquals(ProcessingExceptionHandler.Result.FAIL, r.result());
        assertTrue(r.deadLetterQueueRecords().isEmpty());
    }
}
