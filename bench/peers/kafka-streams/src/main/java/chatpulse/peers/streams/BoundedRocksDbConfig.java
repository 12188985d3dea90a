package chatpulse.peers.streams;

import java.util.Map;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.CompressionType;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

/**
 * Bounds the off-heap memory of every RocksDB store of the instance by one budget
 * ({@link Settings#ROCKSDB_MEMORY_CONFIG}): one LRU block cache shared by all stores, with the memtables
 * counted against it and index and filter blocks inside it. Without it each of the 12 stores takes its
 * own 50 MiB block cache and three 16 MiB memtables, and memory grows with the number of partitions.
 */
public final class BoundedRocksDbConfig implements RocksDBConfigSetter {
    /** A quarter of the budget may be memtables: the store is written far more than read back cold. */
    private static final double WRITE_BUFFER_RATIO = 0.25;
    private static final double HIGH_PRIORITY_RATIO = 0.1;

    private static Cache cache;
    private static WriteBufferManager writeBufferManager;

    private static synchronized void init(long budget) {
        if (cache == null) {
            cache = new LRUCache(budget, -1, false, HIGH_PRIORITY_RATIO);
            writeBufferManager = new WriteBufferManager((long) (budget * WRITE_BUFFER_RATIO), cache);
        }
    }

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        Object v = configs.get(Settings.ROCKSDB_MEMORY_CONFIG);
        long budget = v == null ? 256L << 20 : Long.parseLong(v.toString());
        init(budget);
        BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
        table.setBlockCache(cache);
        table.setCacheIndexAndFilterBlocks(true);
        table.setCacheIndexAndFilterBlocksWithHighPriority(true);
        table.setPinTopLevelIndexAndFilter(true);
        options.setWriteBufferManager(writeBufferManager);
        options.setTableFormatConfig(table);
        // Values are ~100-byte binary aggregates with repeated ids: LZ4 is cheap and shrinks them.
        options.setCompressionType(CompressionType.LZ4_COMPRESSION);
        options.setMaxWriteBufferNumber(3);
    }

    @Override
    public void close(String storeName, Options options) {
        // The cache and write buffer manager are shared by every store of the instance; they live as long
        // as the process.
    }
}
