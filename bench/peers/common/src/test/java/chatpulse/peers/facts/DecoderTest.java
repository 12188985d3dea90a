package chatpulse.peers.facts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class DecoderTest {
    private static final long RECORD_TS = 1_707_836_999_000L;
    private final CausalFoundryDecoder decoder = new CausalFoundryDecoder();

    private List<Update> decode(String json) throws DecodeException {
        List<Update> out = new ArrayList<>();
        decoder.decode(json.getBytes(StandardCharsets.UTF_8), RECORD_TS, out::add);
        return out;
    }

    private static String receipt(String ts) {
        return "{\"ts\":" + ts + ",\"type\":\"receipt\",\"props\":{\"type\":\"read\",\"msg_id\":\"m\"}}";
    }

    @ParameterizedTest(name = "ts {0} is {1} ms")
    @CsvSource(delimiter = '|', value = {
        "\"2024-02-13 15:09:20Z\"|1707836960000",
        "\"2024-02-13T15:09:20.1234z\"|1707836960123",
        "\"2024-02-13t17:09:20+02:00\"|1707836960000",
        "\"2024-02-13 15:09:20-00:30\"|1707838760000",
        "\"1707836960000\"|1707836960000",
        "1707836960000|1707836960000",
        "1707836960000.9|1707836960000",
        "1.7078369600005e12|1707836960000",
        "null|1707836999000",
    })
    void timestampsInEveryAcceptedForm(String ts, long want) throws DecodeException {
        assertEquals(want, decode(receipt(ts)).get(0).atMs());
    }

    @ParameterizedTest(name = "ts {0} is poison")
    @CsvSource(delimiter = '|', value = {
        "\"2024-02-13 15:09:20\"",
        "\"2024-02-30 15:09:20Z\"",
        "\"2024-02-13 15:09:20.Z\"",
        "\"2024-02-13 15:09:20+2:00\"",
        "\"1999-12-31 23:59:59Z\"",
        "\"2100-01-01 00:00:00Z\"",
        "true",
        "{}",
        "1e19",
    })
    void timestampsThatArePoison(String ts) {
        assertThrows(DecodeException.class, () -> decode(receipt(ts)));
    }

    @Test
    void aReplyIsAMessageAtItsIdAndAReplyAtItsParent() throws DecodeException {
        List<Update> u = decode("{\"ts\":\"2024-02-13 15:09:20Z\",\"type\":\"message\",\"props\":{\"platform\":\"Telegram\","
                + "\"msg_id\":\"r\",\"sender_type\":\"user\",\"sender_id\":\"u\",\"recipient_type\":\"group\","
                + "\"recipient_id\":\"g\",\"parent_msg_id\":\"m\",\"type\":\"text\",\"body\":{\"text\":\"hi\"}}}");
        assertEquals(2, u.size());
        assertEquals(Update.Kind.MESSAGE, u.get(0).kind());
        assertEquals("telegram", u.get(0).message().platform());
        assertEquals(Update.reply("m", 1_707_836_960_000L, "r"), u.get(1));
    }

    @Test
    void aDirectConversationIsTheSortedPairInCodePointOrder() throws DecodeException {
        // U+FF21 sorts after U+1F600 in UTF-16 order but before it in UTF-8 (code point) order
        String a = "\uFF21";
        String b = "\uD83D\uDE00";
        List<Update> u = decode("{\"ts\":\"2024-02-13 15:09:20Z\",\"type\":\"message\",\"props\":{\"platform\":\"web\","
                + "\"msg_id\":\"m\",\"sender_type\":\"user\",\"sender_id\":\"" + b + "\",\"recipient_type\":\"user\","
                + "\"recipient_id\":\"" + a + "\",\"type\":\"text\"}}");
        assertEquals(a + ":" + b, u.get(0).message().conversationId());
    }

    @Test
    void aRepeatedPropsObjectMergesAndNullLeavesAFieldAsItWas() throws DecodeException {
        List<Update> u = decode("{\"type\":\"receipt\",\"props\":{\"type\":\"read\",\"msg_id\":\"m\"},"
                + "\"props\":{\"msg_id\":null,\"member_id\":\"x\"}}");
        assertEquals(Update.receipt("m", RECORD_TS, ReceiptStatus.READ, "x"), u.get(0));
    }

    @Test
    void anIdWithALoneSurrogateIsPoison() {
        assertThrows(DecodeException.class, () -> decode(
                "{\"type\":\"receipt\",\"props\":{\"type\":\"read\",\"msg_id\":\"m\\ud800\"}}"));
    }

    @Test
    void anIdLongerThan256BytesIsPoison() {
        String id = "\u00e9".repeat(129); // 258 bytes in 129 chars
        assertThrows(DecodeException.class, () -> decode(
                "{\"type\":\"receipt\",\"props\":{\"type\":\"read\",\"msg_id\":\"" + id + "\"}}"));
    }

    @Test
    void aBodyOfTheWrongTypeIsPoisonEvenOnAReceipt() {
        assertThrows(DecodeException.class, () -> decode(
                "{\"type\":\"receipt\",\"props\":{\"type\":\"read\",\"msg_id\":\"m\",\"body\":\"x\"}}"));
    }
}
