package chatpulse.peers.facts;

import chatpulse.peers.facts.DecodeException.Reason;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Decodes a Causal Foundry chat-module record ({@code {ts, type, props}}) into the {@link Update}s of
 * message_facts, with chatpulse's rules (decode/causalfoundry.go):
 *
 * <ul>
 *   <li>keys match case-insensitively, a repeated key's last value wins and a repeated props object
 *       merges into the first, a JSON null is an absent field; a value of the wrong JSON type is poison;
 *   <li>a receipt is recognised by props (a msg_id and a receipt status as props.type) whatever the
 *       envelope type, since real receipts arrive as "group" events;
 *   <li>a reaction is a message of type "reaction"; its target is parent_msg_id, or msg_id when there is
 *       no parent (as in the documentation's example);
 *   <li>the event time is ts, or the Kafka record timestamp when ts is absent or null;
 *   <li>a direct message's conversation is the sorted pair "lo:hi" of its two participants, a group
 *       message's the group, a message without recipient id its sender; platform is lower case;
 *   <li>membership events are valid but change no message's facts: they yield nothing.
 * </ul>
 *
 * Bodies are skipped by the streaming parser without being materialised, except a reaction's emoji.
 * Thread-safe: it keeps no state between records.
 */
public final class CausalFoundryDecoder {
    /** Larger records are poison, as in chatpulse. */
    public static final int MAX_RECORD_BYTES = 16 << 20;
    /** Ids and short strings longer than this many UTF-8 bytes are not ids. */
    public static final int MAX_ID_BYTES = 256;

    private static final JsonFactory JSON = JsonFactory.builder().build();
    private static final String[] KNOWN_PLATFORMS = {"whatsapp", "telegram", "other", "web", "sms", "viber", "facebook"};
    private static final String[] CONTENT_TYPES = {"text", "audio", "document", "image", "video", "sticker", "contact", "poll", "location"};
    private static final String[] ROLES = {"user", "bot", "agent", "supervisor", "system"};
    private static final String[] MEMBERSHIP_ACTIONS = {"join", "leave", "remove", "create", "update", "delete"};

    /**
     * Decodes value and hands its updates to out.
     *
     * @param recordTimestampMs the Kafka record timestamp, the event time when the record has no ts
     * @return the event time of the record's updates
     * @throws DecodeException when the record is poison; out has then been given nothing
     */
    public long decode(byte[] value, long recordTimestampMs, Consumer<Update> out) throws DecodeException {
        if (value == null) {
            throw new DecodeException(Reason.WRONG_TYPE, "record is null, not an object");
        }
        if (value.length > MAX_RECORD_BYTES) {
            throw new DecodeException(Reason.TOO_LARGE, "record of " + value.length + " bytes exceeds " + MAX_RECORD_BYTES);
        }
        Envelope env = new Envelope();
        try (JsonParser p = JSON.createParser(value)) {
            parse(p, env);
        } catch (JsonProcessingException e) {
            throw new DecodeException(Reason.MALFORMED_JSON, "malformed json: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new DecodeException(Reason.MALFORMED_JSON, "malformed json: " + e.getMessage());
        }
        return env.emit(recordTimestampMs, out);
    }

    private static void parse(JsonParser p, Envelope env) throws IOException, DecodeException {
        JsonToken t = p.nextToken();
        if (t == JsonToken.VALUE_NULL) {
            throw new DecodeException(Reason.WRONG_TYPE, "record is null, not an object");
        }
        if (t != JsonToken.START_OBJECT) {
            if (t != null && t.isStructStart()) {
                p.skipChildren();
            }
            if (t == null) {
                throw new DecodeException(Reason.MALFORMED_JSON, "empty record");
            }
            throw new DecodeException(Reason.WRONG_TYPE, "record is not an object");
        }
        DecodeException typeError = null; // reported after the syntax check, as a JSON decoder does
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            t = p.nextToken();
            if (name.equalsIgnoreCase("ts")) {
                env.readTs(p, t);
            } else if (name.equalsIgnoreCase("type")) {
                env.type = string(p, t, env.type, "type", env);
            } else if (name.equalsIgnoreCase("props")) {
                env.propsKind = t;
                if (t == JsonToken.START_OBJECT) {
                    env.props.read(p);
                } else if (t != JsonToken.VALUE_NULL) {
                    p.skipChildren();
                    typeError = first(typeError, new DecodeException(Reason.WRONG_TYPE, "props is not an object"));
                }
            } else {
                p.skipChildren();
            }
            if (env.typeError != null) {
                typeError = first(typeError, env.typeError);
                env.typeError = null;
            }
            if (env.props.typeError != null) {
                typeError = first(typeError, env.props.typeError);
                env.props.typeError = null;
            }
        }
        if (p.nextToken() != null) {
            throw new DecodeException(Reason.MALFORMED_JSON, "data after the object");
        }
        if (typeError != null) {
            throw typeError;
        }
    }

    private static DecodeException first(DecodeException a, DecodeException b) {
        return a != null ? a : b;
    }

    /**
     * Returns the string at the current token, prev for null (a JSON null leaves a field as it was), and
     * records a type error for anything else.
     */
    static String string(JsonParser p, JsonToken t, String prev, String field, Holder h) throws IOException {
        if (t == JsonToken.VALUE_STRING) {
            return p.getText();
        }
        if (t == JsonToken.VALUE_NULL) {
            return prev;
        }
        p.skipChildren();
        if (h.typeError == null) {
            h.typeError = new DecodeException(Reason.WRONG_TYPE, field + " is not a string");
        }
        return prev;
    }

    /** Something that collects the first type error of what it reads. */
    abstract static class Holder {
        DecodeException typeError;
    }

    /** What ts held: absent or null, a time, a string or number that is no time, or another JSON type. */
    private enum TsState {
        ABSENT,
        OK,
        BAD,
        WRONG_TYPE
    }

    private static final class Envelope extends Holder {
        TsState tsState = TsState.ABSENT;
        long tsMs;
        String type = "";
        JsonToken propsKind; // the last props value's token: null when absent
        final Props props = new Props();

        /** A repeated ts overwrites the earlier one, null included. */
        void readTs(JsonParser p, JsonToken t) throws IOException {
            switch (t) {
                case VALUE_NULL -> tsState = TsState.ABSENT;
                case VALUE_STRING -> setTs(Timestamps.parseString(p.getText()));
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> setTs(Timestamps.parseNumber(p.getText()));
                default -> {
                    p.skipChildren();
                    tsState = TsState.WRONG_TYPE;
                }
            }
        }

        private void setTs(long ms) {
            tsState = ms == Timestamps.INVALID ? TsState.BAD : TsState.OK;
            tsMs = ms;
        }

        long emit(long recordTimestampMs, Consumer<Update> out) throws DecodeException {
            if (props.isEmpty()) {
                if (propsKind == null) {
                    throw new DecodeException(Reason.MISSING_FIELD, "missing props");
                }
                if (propsKind == JsonToken.VALUE_NULL) {
                    throw new DecodeException(Reason.WRONG_TYPE, "props is null, not an object");
                }
            }
            long at = switch (tsState) {
                case ABSENT -> recordTimestampMs;
                case OK -> tsMs;
                case BAD -> throw new DecodeException(Reason.BAD_TIMESTAMP, "ts is not a date-time or epoch ms");
                case WRONG_TYPE -> throw new DecodeException(Reason.WRONG_TYPE, "ts is not a string or number");
            };
            if (!Timestamps.inRange(at)) {
                String what = tsState == TsState.ABSENT ? "record timestamp (no ts)" : "ts";
                throw new DecodeException(Reason.BAD_TIMESTAMP, what + " " + at + " ms outside [2000, 2100)");
            }
            Props pr = props;
            boolean isStatus = ReceiptStatus.parse(pr.type) != null;
            if (isStatus && !pr.msgId.isEmpty()) {
                out.accept(pr.receipt(at));
            } else if (type.equals("message") && pr.type.equals("reaction")) {
                out.accept(pr.reaction(at));
            } else if (type.equals("message")) {
                pr.message(at, out);
            } else if (type.equals("group")) {
                if (oneOf(pr.type, MEMBERSHIP_ACTIONS)) {
                    pr.membership();
                } else if (isStatus || pr.type.isEmpty()) {
                    out.accept(pr.receipt(at)); // names the missing field
                } else {
                    throw new DecodeException(Reason.UNKNOWN_ENUM, "unknown group or receipt type " + clip(pr.type));
                }
            } else if (type.equals("receipt")) {
                out.accept(pr.receipt(at));
            } else if (type.isEmpty()) {
                throw new DecodeException(Reason.MISSING_FIELD, "missing type");
            } else {
                throw new DecodeException(Reason.UNKNOWN_KIND, "unknown event type " + clip(type));
            }
            return at;
        }
    }

    private static final class Props extends Holder {
        String type = "";
        String platform = "";
        String msgId = "";
        String senderType = "";
        String senderId = "";
        String recipientType = "";
        String recipientId = "";
        String parentMsgId = "";
        String groupId = "";
        String memberType = "";
        String memberId = "";
        String emoji = "";

        boolean isEmpty() {
            return type.isEmpty() && platform.isEmpty() && msgId.isEmpty() && senderType.isEmpty() && senderId.isEmpty()
                    && recipientType.isEmpty() && recipientId.isEmpty() && parentMsgId.isEmpty() && groupId.isEmpty()
                    && memberType.isEmpty() && memberId.isEmpty() && emoji.isEmpty();
        }

        /** Reads an object's fields into this one, so a repeated props merges. */
        void read(JsonParser p) throws IOException {
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                t = p.nextToken();
                switch (name.toLowerCase(Locale.ROOT)) {
                    case "type" -> type = string(p, t, type, "props.type", this);
                    case "platform" -> platform = string(p, t, platform, "props.platform", this);
                    case "msg_id" -> msgId = string(p, t, msgId, "props.msg_id", this);
                    case "sender_type" -> senderType = string(p, t, senderType, "props.sender_type", this);
                    case "sender_id" -> senderId = string(p, t, senderId, "props.sender_id", this);
                    case "recipient_type" -> recipientType = string(p, t, recipientType, "props.recipient_type", this);
                    case "recipient_id" -> recipientId = string(p, t, recipientId, "props.recipient_id", this);
                    case "parent_msg_id" -> parentMsgId = string(p, t, parentMsgId, "props.parent_msg_id", this);
                    case "group_id" -> groupId = string(p, t, groupId, "props.group_id", this);
                    case "member_type" -> memberType = string(p, t, memberType, "props.member_type", this);
                    case "member_id" -> memberId = string(p, t, memberId, "props.member_id", this);
                    case "body" -> readBody(p, t);
                    default -> p.skipChildren();
                }
            }
        }

        /** Keeps the one body field a metric needs; media and text are skipped unread. */
        private void readBody(JsonParser p, JsonToken t) throws IOException {
            if (t == JsonToken.VALUE_NULL) {
                return;
            }
            if (t != JsonToken.START_OBJECT) {
                p.skipChildren();
                if (typeError == null) {
                    typeError = new DecodeException(Reason.WRONG_TYPE, "props.body is not an object");
                }
                return;
            }
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                t = p.nextToken();
                if (name.equalsIgnoreCase("emoji")) {
                    emoji = string(p, t, emoji, "props.body.emoji", this);
                } else {
                    p.skipChildren();
                }
            }
        }

        void message(long at, Consumer<Update> out) throws DecodeException {
            require(platform, "platform");
            require(msgId, "msg_id");
            String role = sender();
            require(recipientType, "recipient_type");
            if (!recipientType.equals("user") && !recipientType.equals("group")) {
                throw new DecodeException(Reason.UNKNOWN_ENUM, "unknown props.recipient_type " + clip(recipientType));
            }
            boolean group = recipientType.equals("group");
            if (group && recipientId.isEmpty()) {
                throw new DecodeException(Reason.MISSING_FIELD, "missing props.recipient_id of a group message");
            }
            require(type, "type");
            if (!oneOf(type, CONTENT_TYPES)) {
                throw new DecodeException(Reason.UNKNOWN_ENUM, "unknown props.type " + clip(type));
            }
            String conversation;
            if (group) {
                conversation = recipientId;
            } else if (recipientId.isEmpty()) {
                conversation = senderId;
            } else if (compareUtf8(senderId, recipientId) <= 0) {
                conversation = senderId + ":" + recipientId;
            } else {
                conversation = recipientId + ":" + senderId;
            }
            kept(platform, msgId, parentMsgId, senderId, recipientId);
            String plat = platform(platform);
            limit(plat, "platform");
            limit(msgId, "message id");
            limit(senderId, "sender id");
            limit(conversation, "field");
            limit(recipientId, "field");
            limit(parentMsgId, "field");
            MessageInfo info = new MessageInfo(plat, conversation, role, senderId, recipientType, recipientId, parentMsgId, type);
            out.accept(Update.message(msgId, at, info));
            if (!parentMsgId.isEmpty()) {
                out.accept(Update.reply(parentMsgId, at, msgId));
            }
        }

        Update reaction(long at) throws DecodeException {
            require(platform, "platform");
            String target = parentMsgId.isEmpty() ? msgId : parentMsgId;
            if (target.isEmpty()) {
                throw missing("msg_id");
            }
            sender();
            require(emoji, "body.emoji");
            kept(platform, target, senderId, emoji);
            String plat = platform(platform);
            limit(plat, "platform");
            limit(target, "reaction target");
            limit(senderId, "reaction actor");
            limit(emoji, "emoji");
            return Update.reaction(target, at, senderId, emoji, true);
        }

        Update receipt(long at) throws DecodeException {
            require(type, "type");
            ReceiptStatus status = ReceiptStatus.parse(type);
            if (status == null) {
                throw new DecodeException(Reason.UNKNOWN_ENUM, "unknown receipt status " + clip(type));
            }
            require(msgId, "msg_id");
            kept(platform, msgId, memberId);
            limit(platform(platform), "platform");
            limit(msgId, "receipt message id");
            limit(memberId, "member id");
            return Update.receipt(msgId, at, status, memberId);
        }

        /** Checks a membership event as chatpulse does; it yields no update. */
        void membership() throws DecodeException {
            require(groupId, "group_id");
            boolean memberLevel = type.equals("join") || type.equals("leave") || type.equals("remove");
            if (memberLevel) {
                require(memberId, "member_id");
                if (!memberType.isEmpty() && !oneOf(memberType, ROLES)) {
                    throw new DecodeException(Reason.UNKNOWN_ENUM, "unknown props.member_type " + clip(memberType));
                }
                kept(memberId);
            }
            kept(platform, groupId);
            limit(platform(platform), "platform");
            limit(groupId, "group id");
            limit(memberId, "member id");
        }

        private String sender() throws DecodeException {
            require(senderType, "sender_type");
            if (!oneOf(senderType, ROLES)) {
                throw new DecodeException(Reason.UNKNOWN_ENUM, "unknown props.sender_type " + clip(senderType));
            }
            require(senderId, "sender_id");
            return senderType;
        }
    }

    private static void require(String v, String field) throws DecodeException {
        if (v.isEmpty()) {
            throw missing(field);
        }
    }

    private static DecodeException missing(String field) {
        return new DecodeException(Reason.MISSING_FIELD, "missing props." + field);
    }

    /**
     * Rejects ids with U+FFFD or a lone surrogate: chatpulse's JSON decoder puts U+FFFD in place of invalid
     * UTF-8 and of lone surrogate escapes, and no real id contains it.
     */
    private static void kept(String... values) throws DecodeException {
        for (String v : values) {
            for (int i = 0; i < v.length(); i++) {
                char c = v.charAt(i);
                if (c == '\uFFFD') {
                    throw invalidUtf8();
                }
                if (Character.isHighSurrogate(c)) {
                    if (i + 1 >= v.length() || !Character.isLowSurrogate(v.charAt(i + 1))) {
                        throw invalidUtf8();
                    }
                    i++;
                } else if (Character.isLowSurrogate(c)) {
                    throw invalidUtf8();
                }
            }
        }
    }

    private static DecodeException invalidUtf8() {
        return new DecodeException(Reason.INVALID, "invalid utf-8 in an id");
    }

    private static void limit(String v, String what) throws DecodeException {
        if (v.length() > MAX_ID_BYTES / 3 && v.getBytes(StandardCharsets.UTF_8).length > MAX_ID_BYTES) {
            throw new DecodeException(Reason.INVALID, "invalid event: " + what + " longer than " + MAX_ID_BYTES + " bytes");
        }
    }

    /** Lower case; the known platforms come back as constants. */
    static String platform(String s) {
        for (String known : KNOWN_PLATFORMS) {
            if (known.equalsIgnoreCase(s) && isAscii(s)) {
                return known;
            }
        }
        return s.toLowerCase(Locale.ROOT);
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    private static boolean oneOf(String s, String[] names) {
        for (String n : names) {
            if (n.equals(s)) {
                return true;
            }
        }
        return false;
    }

    /** Compares as UTF-8 bytes do, which is code point order (String.compareTo is UTF-16 order). */
    static int compareUtf8(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    private static String clip(String s) {
        String c = s.length() > 64 ? s.substring(0, 64) + "..." : s;
        return "\"" + c + "\"";
    }
}
