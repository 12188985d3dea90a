package chatpulse.peers.facts;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A golden shared by both peers: a Causal Foundry input, the message_facts rows chatpulse computes from
 * it and the lines it sends to the dead-letter topic. The Go test beside the Maven projects derives the
 * rows and dead letters from chatpulse's own code. {@link #HANDMADE} (bench/peers/testdata) names each
 * quirk it covers; {@link #GENERATED} (testdata/generated) is a few thousand records of the benchmark's
 * generator, whose rows also equal the generator's own model.
 */
public final class Golden {
    public static final Golden HANDMADE = new Golden("");
    public static final Golden GENERATED = new Golden("generated");

    private static final JsonFactory JSON = JsonFactory.builder().build();

    /** One raw record of the input: its Kafka timestamp and value. */
    public record Input(int line, long timestamp, byte[] value) {
    }

    /** A 1-based input line chatpulse dead-letters, with its reason. */
    public record DeadLetter(int line, String reason) {
    }

    private final String sub;

    private Golden(String sub) {
        this.sub = sub;
    }

    /** Both goldens, for parameterized tests. */
    public static List<Golden> all() {
        return List.of(HANDMADE, GENERATED);
    }

    @Override
    public String toString() {
        return sub.isEmpty() ? "handmade" : sub;
    }

    public Path dir() {
        String dir = System.getProperty("peers.testdata");
        if (dir == null) {
            throw new IllegalStateException("system property peers.testdata (bench/peers/testdata) is not set");
        }
        return Path.of(dir).resolve(sub);
    }

    public List<Input> input() {
        List<Input> out = new ArrayList<>();
        int line = 0;
        for (String l : lines("causalfoundry.jsonl")) {
            line++;
            long ts = 0;
            String value = null;
            try (JsonParser p = JSON.createParser(l)) {
                p.nextToken();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    if (name.equals("timestamp")) {
                        ts = p.getLongValue();
                    } else if (name.equals("value")) {
                        value = p.getText();
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("golden input line " + line, e);
            }
            out.add(new Input(line, ts, value.getBytes(StandardCharsets.UTF_8)));
        }
        return out;
    }

    /** The expected rows by msg_id. */
    public Map<String, FactsRow> expectedRows() {
        Map<String, FactsRow> rows = new TreeMap<>();
        for (String l : lines("message_facts.jsonl")) {
            try {
                FactsRow r = FactsRow.fromJson(l.getBytes(StandardCharsets.UTF_8));
                rows.put(r.msgId(), r);
            } catch (IOException e) {
                throw new UncheckedIOException("golden row " + l, e);
            }
        }
        return rows;
    }

    public List<DeadLetter> deadLetters() {
        List<DeadLetter> out = new ArrayList<>();
        for (String l : lines("dead_letters.jsonl")) {
            int line = 0;
            String reason = null;
            try (JsonParser p = JSON.createParser(l)) {
                p.nextToken();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    if (name.equals("line")) {
                        line = p.getIntValue();
                    } else if (name.equals("reason")) {
                        reason = p.getText();
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("golden dead letter " + l, e);
            }
            out.add(new DeadLetter(line, reason));
        }
        return out;
    }

    private List<String> lines(String name) {
        try {
            return Files.readAllLines(dir().resolve(name), StandardCharsets.UTF_8).stream().filter(s -> !s.isBlank()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("read golden " + name, e);
        }
    }
}
