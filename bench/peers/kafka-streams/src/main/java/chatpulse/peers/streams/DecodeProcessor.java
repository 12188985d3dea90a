package chatpulse.peers.streams;

import chatpulse.peers.facts.CausalFoundryDecoder;
import chatpulse.peers.facts.DecodeException;
import chatpulse.peers.facts.Update;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Decodes a raw Causal Foundry record and forwards its updates keyed by message id, stamped with their
 * event time, so that the repartitioned stream's time is event time. A poison record is thrown as a
 * {@link PoisonRecordException}: {@link DeadLetterHandler} writes the raw record to the dead-letter topic
 * with the reason in its headers and processing goes on.
 */
final class DecodeProcessor implements Processor<byte[], byte[], String, Update> {
    private final CausalFoundryDecoder decoder = new CausalFoundryDecoder();
    private ProcessorContext<String, Update> context;

    @Override
    public void init(ProcessorContext<String, Update> context) {
        this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> raw) {
        try {
            decoder.decode(raw.value(), raw.timestamp(), u -> context.forward(new Record<>(u.key(), u, u.atMs())));
        } catch (DecodeException e) {
            throw new PoisonRecordException(e);
        }
    }

    /** A record that cannot be decoded; its message starts with chatpulse's reason code. */
    static final class PoisonRecordException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        private final String reason;

        PoisonRecordException(DecodeException cause) {
            super(cause.getMessage(), cause, false, false);
            this.reason = cause.reason().code();
        }

        String reason() {
            return reason;
        }
    }
}
