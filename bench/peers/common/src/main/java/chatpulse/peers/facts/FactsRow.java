package chatpulse.peers.facts;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Map;

/**
 * One message_facts row with the analyst contract's columns (SPEC section 4), written as one JSON object:
 * sent_at as "YYYY-MM-DD hh:mm:ss" UTC, failed and deleted as 0 or 1, a missing latency as null.
 */
public record FactsRow(
        String source,
        String tenant,
        String platform,
        String msgId,
        String conversationId,
        String senderType,
        String senderId,
        String recipientType,
        String recipientId,
        String parentMsgId,
        String contentType,
        long sentAtMs,
        Long deliveredLatencyMs,
        Long readLatencyMs,
        boolean failed,
        boolean deleted,
        long replies,
        Long firstReplyLatencyMs,
        long reactions) {

    /** The source column of every Causal Foundry row. */
    public static final String SOURCE = "causalfoundry";

    private static final JsonFactory JSON = JsonFactory.builder().build();
    private static final DateTimeFormatter SENT_AT = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss");

    /** The sent_at column: the send time in whole seconds, UTC. */
    public String sentAt() {
        return LocalDateTime.ofEpochSecond(Math.floorDiv(sentAtMs, 1000), 0, ZoneOffset.UTC).format(SENT_AT);
    }

    /** The row as UTF-8 JSON, columns in contract order. */
    public byte[] toJson() {
        ByteArrayBuilder buf = new ByteArrayBuilder(512);
        try (JsonGenerator g = JSON.createGenerator(buf)) {
            g.writeStartObject();
            g.writeStringField("source", source);
            g.writeStringField("tenant", tenant);
            g.writeStringField("platform", platform);
            g.writeStringField("msg_id", msgId);
            g.writeStringField("conversation_id", conversationId);
            g.writeStringField("sender_type", senderType);
            g.writeStringField("sender_id", senderId);
            g.writeStringField("recipient_type", recipientType);
            g.writeStringField("recipient_id", recipientId);
            g.writeStringField("parent_msg_id", parentMsgId);
            g.writeStringField("content_type", contentType);
            g.writeStringField("sent_at", sentAt());
            g.writeNumberField("sent_at_ms", sentAtMs);
            nullable(g, "delivered_latency_ms", deliveredLatencyMs);
            nullable(g, "read_latency_ms", readLatencyMs);
            g.writeNumberField("failed", failed ? 1 : 0);
            g.writeNumberField("deleted", deleted ? 1 : 0);
            g.writeNumberField("replies", replies);
            nullable(g, "first_reply_latency_ms", firstReplyLatencyMs);
            g.writeNumberField("reactions", reactions);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("write message_facts row", e);
        }
        return buf.toByteArray();
    }

    private static void nullable(JsonGenerator g, String field, Long v) throws IOException {
        if (v == null) {
            g.writeNullField(field);
        } else {
            g.writeNumberField(field, v);
        }
    }

    /**
     * Reads a row written by {@link #toJson} or by ClickHouse's JSONEachRow (which may quote 64-bit
     * integers). Every column must be present; sent_at must agree with sent_at_ms.
     */
    public static FactsRow fromJson(byte[] json) throws IOException {
        Map<String, String> cols = new HashMap<>();
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("a message_facts row is a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                cols.put(name, t == JsonToken.VALUE_NULL ? null : p.getText());
            }
        }
        FactsRow row = new FactsRow(str(cols, "source"), str(cols, "tenant"), str(cols, "platform"), str(cols, "msg_id"),
                str(cols, "conversation_id"), str(cols, "sender_type"), str(cols, "sender_id"),
                str(cols, "recipient_type"), str(cols, "recipient_id"), str(cols, "parent_msg_id"),
                str(cols, "content_type"), num(cols, "sent_at_ms"), opt(cols, "delivered_latency_ms"),
                opt(cols, "read_latency_ms"), num(cols, "failed") != 0, num(cols, "deleted") != 0, num(cols, "replies"),
                opt(cols, "first_reply_latency_ms"), num(cols, "reactions"));
        if (!row.sentAt().equals(str(cols, "sent_at"))) {
            throw new IOException("sent_at " + cols.get("sent_at") + " disagrees with sent_at_ms " + row.sentAtMs);
        }
        return row;
    }

    private static String str(Map<String, String> cols, String name) throws IOException {
        if (!cols.containsKey(name) || cols.get(name) == null) {
            throw new IOException("missing column " + name);
        }
        return cols.get(name);
    }

    private static long num(Map<String, String> cols, String name) throws IOException {
        try {
            return Long.parseLong(str(cols, name));
        } catch (NumberFormatException e) {
            throw new IOException("column " + name + " is not an integer", e);
        }
    }

    private static Long opt(Map<String, String> cols, String name) throws IOException {
        if (!cols.containsKey(name)) {
            throw new IOException("missing column " + name);
        }
        return cols.get(name) == null ? null : num(cols, name);
    }
}
