package chatpulse.peers.streams;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the message_facts topology until SIGTERM. The output topic is created compacted when missing:
 * the latest row per msg_id is the message's final row, so compaction keeps exactly the answer.
 */
public final class FactsApp {
    private static final Logger LOG = LoggerFactory.getLogger(FactsApp.class);

    private FactsApp() {
    }

    public static void main(String[] args) throws Exception {
        Settings s = Settings.fromEnv(System.getenv());
        createTopics(s);
        KafkaStreams streams = new KafkaStreams(FactsTopology.build(s.inputTopic(), s.outputTopic(), s.ttl()), s.streamsConfig());
        CountDownLatch done = new CountDownLatch(1);
        streams.setUncaughtExceptionHandler(e -> {
            // Under exactly-once a failed thread's transaction is aborted; stopping lets the supervisor
            // restart the process, which restores the state and resumes from the committed offsets.
            LOG.error("stream thread failed; shutting down", e);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        streams.setStateListener((now, before) -> {
            LOG.info("state {} -> {}", before, now);
            if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
                done.countDown();
            }
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            streams.close(Duration.ofSeconds(30));
            done.countDown();
        }, "shutdown"));
        streams.start();
        done.await();
        if (streams.state() == KafkaStreams.State.ERROR) {
            System.exit(1);
        }
    }

    private static void createTopics(Settings s) throws InterruptedException {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, s.bootstrapServers());
        try (Admin admin = Admin.create(p)) {
            List<NewTopic> topics = new ArrayList<>();
            topics.add(new NewTopic(s.outputTopic(), s.outputPartitions(), s.replicationFactor())
                    .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
            topics.add(new NewTopic(s.deadLetterTopic(), 1, s.replicationFactor()));
            for (NewTopic t : topics) {
                try {
                    admin.createTopics(Set.of(t)).all().get();
                    LOG.info("created topic {}", t.name());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("create topic " + t.name(), e.getCause());
                    }
                }
            }
        }
    }
}
