package sink

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"time"
)

// lockTable exists while one client migrates the database. A CREATE TABLE without IF NOT
// EXISTS succeeds for exactly one of several clients; on a cluster every host runs the
// distributed DDL queue in the same order, so the same client wins on all of them. Without it,
// a client that lags one migration behind another recreates a view the other has just dropped
// for its new form, or reads a table the other has dropped in between.
const lockTable = "schema_migrations_lock"

const (
	// lockPoll is how often a waiting client tries to take the lock again.
	lockPoll = 500 * time.Millisecond
	// lockPatience is how old a held lock may be before a waiting client gives up. The
	// backfills of a large database take minutes; a lock this old was most likely left by a
	// client that was killed while migrating.
	lockPatience = 30 * time.Minute
	// lockWarnEvery spaces the warnings of a client that waits for the lock.
	lockWarnEvery = 30 * time.Second
	// lockReleaseTimeout bounds the drop of the lock, which runs after ctx may have ended.
	lockReleaseTimeout = 30 * time.Second

	tableExistsCode  int32 = 57
	unknownTableCode int32 = 60
)

// ErrMigrationLocked is returned by Migrate when another client has held the migration lock for
// longer than any migration takes; the error names the statement that removes it.
var ErrMigrationLocked = errors.New("schema migration lock held too long")

var unsafeHolder = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// newLockHolder names a client in the lock: host, process and a random part, so that two
// clients of one process differ.
func newLockHolder() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return unsafeHolder.ReplaceAllString(host, "_") + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b)
}

// lockMigrations takes the migration lock, waiting while another client holds it. It returns
// false, without the lock, when the holder has meanwhile applied every migration up to version.
// A lock with the client's own holder name was left by an earlier attempt of the same Connect
// whose release failed; the client takes it over.
func (c *Client) lockMigrations(ctx context.Context, version uint32) (bool, error) {
	create := "CREATE TABLE " + c.db + "." + lockTable + c.onCluster() +
		" (holder UInt8 COMMENT '" + c.holder + "') ENGINE = Memory"
	var waiting bool
	var lastWarn time.Time
	for {
		err := c.conn.Exec(ctx, create)
		if err == nil {
			return true, nil
		}
		if !isServerCode(err, tableExistsCode) {
			return false, fmt.Errorf("take migration lock: %w", err)
		}
		holder, age, err := c.lockHolder(ctx)
		if err != nil {
			return false, err
		}
		if holder == c.holder {
			return true, nil
		}
		applied, err := c.appliedVersions(ctx)
		if err != nil {
			return false, err
		}
		if !pending(applied, version) {
			return false, nil
		}
		if age > c.lockPatience {
			return false, fmt.Errorf("%w: %s.%s is held by %s for %s; if no migration is running, remove it with DROP TABLE %s.%s%s",
				ErrMigrationLocked, c.db, lockTable, holder, age.Round(time.Second), c.db, lockTable, c.onCluster())
		}
		switch {
		case holder == "":
		case !waiting:
			c.log.Info("waiting for the schema migration lock", "database", c.db, "holder", holder, "held", age.Round(time.Second))
			waiting, lastWarn = true, time.Now()
		case time.Since(lastWarn) >= lockWarnEvery:
			c.log.Warn("still waiting for the schema migration lock", "database", c.db, "holder", holder, "held", age.Round(time.Second))
			lastWarn = time.Now()
		}
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("wait for migration lock: %w", ctx.Err())
		case <-time.After(lockPoll):
		}
	}
}

// lockHolder reads who holds the lock and for how long, by the server's clock. It returns an
// empty holder when the lock was released since the failed CREATE.
func (c *Client) lockHolder(ctx context.Context) (string, time.Duration, error) {
	var holder string
	var age int64
	err := c.conn.QueryRow(ctx, "SELECT c.comment, toInt64(now()) - toInt64(t.metadata_modification_time)"+
		" FROM system.columns AS c ANY INNER JOIN (SELECT name AS table, metadata_modification_time FROM system.tables"+
		" WHERE database = '"+c.db+"' AND name = '"+lockTable+"') AS t USING table"+
		" WHERE c.database = '"+c.db+"' AND c.table = '"+lockTable+"' AND c.name = 'holder'").Scan(&holder, &age)
	// A lock dropped while system.columns reads it is an unknown table to 18.16.
	if errors.Is(err, sql.ErrNoRows) || isServerCode(err, unknownTableCode) {
		return "", 0, nil
	}
	if err != nil {
		return "", 0, fmt.Errorf("read migration lock: %w", err)
	}
	return holder, time.Duration(age) * time.Second, nil
}

// unlockMigrations drops the lock, also after ctx ended. A failure leaves the lock to a later
// attempt of the same Connect, or to an operator; it is logged, not returned, so that it does
// not hide the migration's own outcome.
func (c *Client) unlockMigrations(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lockReleaseTimeout)
	defer cancel()
	drop := "DROP TABLE IF EXISTS " + c.db + "." + lockTable + c.onCluster()
	if err := c.conn.Exec(ctx, drop); err != nil {
		c.log.Warn("schema migration lock not released", "database", c.db, "statement", drop, "err", err)
	}
}

// onCluster is the ON CLUSTER clause of the client's DDL, empty for one server.
func (c *Client) onCluster() string {
	if c.cluster == "" {
		return ""
	}
	return " ON CLUSTER " + c.cluster
}

// pending says whether a migration up to version is not in applied.
func pending(applied map[uint32]bool, version uint32) bool {
	for _, m := range migrations {
		if m.Version <= version && !applied[m.Version] {
			return true
		}
	}
	return false
}
