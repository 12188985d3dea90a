package sink

import (
	"context"
	"database/sql"
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
//
// The default of its column holder is the holder's name. The holder inserts a row every
// lockBeat while it migrates; the others tell a live holder from one that was killed by the
// count of rows, which needs no clock shared by the clients and the servers. On a cluster the
// table is replicated, so that a beat inserted on the holder's server reaches every other;
// 18.16 runs no ALTER of a column's comment ON CLUSTER, and a replicated table with a column
// comment fails its second replica's CREATE.
const lockTable = "schema_migrations_lock"

const (
	// lockPoll is how often a waiting client tries to take the lock again.
	lockPoll = 500 * time.Millisecond
	// lockBeat is how often the holder inserts a beat.
	lockBeat = 10 * time.Second
	// lockPatience is how long a waiting client sees the same count of beats before it gives
	// up: twelve missed beats, longer than a loaded cluster takes to replicate one.
	lockPatience = 2 * time.Minute
	// lockWarnEvery spaces the warnings of a client that waits for the lock.
	lockWarnEvery = 30 * time.Second
	// lockReleaseTimeout bounds the drop of the lock, which runs after ctx may have ended, so
	// that it does not hold up a shutdown. On a cluster the drop is queued by then, and every
	// server runs it even when the client stops waiting.
	lockReleaseTimeout = 15 * time.Second
)

// ErrMigrationLocked is returned by Migrate when the holder of the migration lock has not shown
// a sign of life for lockPatience; the error names the statement that removes the lock.
var ErrMigrationLocked = errors.New("schema migration lock abandoned")

var unsafeHolder = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// newLockHolder names a client in the lock: host, process and a random part, so that two
// clients of one process differ.
func newLockHolder() string {
	host, _ := os.Hostname()
	return unsafeHolder.ReplaceAllString(host, "_") + "-" + strconv.Itoa(os.Getpid()) + "-" + randomHex(4)
}

// migrationLock is a taken lock; its heartbeat runs until release.
type migrationLock struct {
	c         *Client
	stopBeats context.CancelFunc
	beating   chan struct{}
}

// lockMigrations takes the migration lock, waiting while another client holds it. It returns a
// nil lock when the holder has meanwhile applied every migration up to version. A lock with
// the client's own holder name was left by an earlier attempt of the same Connect whose release
// failed; the client takes it over.
func (c *Client) lockMigrations(ctx context.Context, version uint32) (*migrationLock, error) {
	var (
		seen      string    // the lock's holder and beats when last read
		seenSince time.Time // when it was first read
		lastLog   time.Time
	)
	for {
		// The lock is read first, and taken only when this server has none: on a cluster each
		// CREATE is a task that every server runs, in the queue of the holder's own DDL.
		holder, beats, err := c.lockState(ctx)
		if err != nil {
			return nil, err
		}
		if holder == c.holder {
			return c.beat(ctx), nil
		}
		if holder == "" {
			err := c.conn.Exec(ctx, c.createLock())
			if err == nil {
				return c.beat(ctx), nil
			}
			if !isServerCode(err, tableExistsCode) {
				// The server may have made the table before the error (a cancelled CREATE):
				// drop it if it is ours. On a cluster a queued CREATE may run later still, and
				// leave a lock without beats; a later attempt of the same Connect takes it over.
				c.dropLockIfOurs(ctx)
				return nil, fmt.Errorf("take migration lock: %w", err)
			}
			if holder, beats, err = c.lockState(ctx); err != nil {
				return nil, err
			}
		}
		applied, err := c.appliedVersions(ctx)
		if err != nil {
			return nil, err
		}
		if !pending(applied, version) {
			return nil, nil
		}
		if state := holder + "#" + strconv.FormatUint(beats, 10); state != seen || seenSince.IsZero() {
			seen, seenSince = state, time.Now()
		}
		if waited := time.Since(seenSince); waited > c.lockPatience {
			if holder == "" {
				return nil, fmt.Errorf("%w: %s.%s exists on other servers of cluster %s but not on this one; if no migration is running, remove it with DROP TABLE IF EXISTS %s.%s%s",
					ErrMigrationLocked, c.db, lockTable, c.cluster, c.db, lockTable, c.onCluster())
			}
			return nil, fmt.Errorf("%w: %s.%s is held by %s, whose heartbeat stopped %s ago; if no migration is running, remove it with DROP TABLE %s.%s%s",
				ErrMigrationLocked, c.db, lockTable, holder, waited.Round(time.Second), c.db, lockTable, c.onCluster())
		}
		switch {
		case lastLog.IsZero():
			c.log.Info("waiting for the schema migration lock", "database", c.db, "holder", holder)
			lastLog = time.Now()
		case time.Since(lastLog) >= lockWarnEvery:
			c.log.Warn("still waiting for the schema migration lock", "database", c.db, "holder", holder,
				"unchanged_for", time.Since(seenSince).Round(time.Second))
			lastLog = time.Now()
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for migration lock: %w", ctx.Err())
		case <-time.After(lockPoll):
		}
	}
}

// beat starts the heartbeat of a lock the client has just taken. A failed beat is logged: the
// next may succeed, and the waiters give up only after lockPatience without one.
func (c *Client) beat(ctx context.Context) *migrationLock {
	ctx, stop := context.WithCancel(ctx)
	l := &migrationLock{c: c, stopBeats: stop, beating: make(chan struct{})}
	go func() {
		defer close(l.beating)
		t := time.NewTicker(c.lockBeat)
		defer t.Stop()
		for n := 1; ; n++ {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			stmt := "INSERT INTO " + c.db + "." + lockTable + " (beat) SELECT " + strconv.Itoa(n)
			if err := c.conn.Exec(ctx, stmt); err != nil && ctx.Err() == nil {
				c.log.Warn("schema migration lock heartbeat failed", "database", c.db, "err", err)
			}
		}
	}()
	return l
}

// release stops the heartbeat and drops the lock.
func (l *migrationLock) release(ctx context.Context) {
	l.stopBeats()
	<-l.beating
	l.c.dropLockIfOurs(ctx)
}

// dropLockIfOurs drops the lock if the client holds it, also after ctx ended. A failure leaves
// the lock to a later attempt of the same Connect, or to an operator; it is logged, not
// returned, so that it does not hide the migration's own outcome.
func (c *Client) dropLockIfOurs(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lockReleaseTimeout)
	defer cancel()
	holder, _, err := c.lockState(ctx)
	if err != nil {
		c.log.Warn("schema migration lock not released", "database", c.db, "err", err)
		return
	}
	if holder != c.holder {
		return
	}
	drop := "DROP TABLE IF EXISTS " + c.db + "." + lockTable + c.onCluster()
	if err := c.conn.Exec(ctx, drop); err != nil {
		c.log.Warn("schema migration lock not released", "database", c.db, "statement", drop, "err", err)
	}
}

// createLock is the statement that takes the lock. On a cluster each CREATE has a path in
// ZooKeeper of its own, so that it cannot meet replicas of a released lock that are not gone
// yet: an Atomic database (the default since 20.10) removes them minutes after the DROP.
func (c *Client) createLock() string {
	engine := "Memory"
	if c.cluster != "" {
		engine = "ReplicatedMergeTree('/clickhouse/tables/all/" + c.db + "/" + lockTable + "/" + randomHex(8) +
			"', '{replica}') ORDER BY beat"
	}
	return "CREATE TABLE " + c.db + "." + lockTable + c.onCluster() +
		" (beat UInt64, holder String DEFAULT '" + c.holder + "') ENGINE = " + engine
}

// lockState reads who holds the lock and how many beats it has given, on the client's server;
// the holder is empty when there is no lock there.
func (c *Client) lockState(ctx context.Context) (holder string, beats uint64, err error) {
	err = c.conn.QueryRow(ctx, "SELECT replaceAll(default_expression, '\\'', '') FROM system.columns"+
		" WHERE database = '"+c.db+"' AND table = '"+lockTable+"' AND name = 'holder'").Scan(&holder)
	if err == nil {
		err = c.conn.QueryRow(ctx, "SELECT count() FROM "+c.db+"."+lockTable).Scan(&beats)
	}
	// A lock dropped between or while these read it is an unknown or a dropped table.
	if errors.Is(err, sql.ErrNoRows) || isServerCode(err, unknownTableCode) || isServerCode(err, tableDroppedCode) {
		return "", 0, nil
	}
	if err != nil {
		return "", 0, fmt.Errorf("read migration lock: %w", err)
	}
	return holder, beats, nil
}
