package chatpulse.peers.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class SettingsTest {
    @Test
    void theDefaultsRunExactlyOnceV2WithTransactionalStores() {
        var p = Settings.fromEnv(Map.of()).streamsConfig();
        assertEquals(StreamsConfig.EXACTLY_ONCE_V2, p.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
        assertEquals(true, p.get(StreamsConfig.TRANSACTIONAL_STATE_STORES_CONFIG));
        new StreamsConfig(p); // every value is one Kafka Streams accepts
    }

    @Test
    void aBadValueFailsNamingItsVariable() {
        var e = assertThrows(IllegalArgumentException.class, () -> Settings.fromEnv(Map.of("PEERS_THREADS", "many")));
        assertTrue(e.getMessage().startsWith("PEERS_THREADS"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Settings.fromEnv(Map.of("PEERS_TTL_MS", "5")));
        assertTrue(e.getMessage().startsWith("PEERS_TTL_MS"), e.getMessage());
    }
}
