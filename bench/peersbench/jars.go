package peersbench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Jars are the runnable jars of the two peers, each with its dependencies in target/lib beside it.
type Jars struct {
	Streams string
	Flink   string
}

// Available says why the peers cannot be built and run here: Java, its compiler (a JDK, not
// only a JRE) or Maven missing from PATH.
func Available() error {
	var missing []error
	for _, bin := range []string{"java", "javac", "mvn"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, fmt.Errorf("%s: %w (install it with `make test-deps`)", bin, err))
		}
	}
	return errors.Join(missing...)
}

// Build packages both peers with Maven, tests skipped (`mvn verify` runs them), and returns their
// jars. peersDir is bench/peers. Dependencies come from Maven Central into Maven's own cache
// (~/.m2 unless MAVEN_OPTS says otherwise), never into the repository; an up-to-date build takes
// Maven's start-up and little more.
func Build(ctx context.Context, peersDir string) (Jars, error) {
	if err := Available(); err != nil {
		return Jars{}, err
	}
	cmd := exec.CommandContext(ctx, "mvn", "-q", "-B", "-f", filepath.Join(peersDir, "pom.xml"), "-DskipTests", "package")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return Jars{}, fmt.Errorf("build peers: %w\n%s", err, tail(out.Bytes(), 4000))
	}
	j := Jars{
		Streams: filepath.Join(peersDir, "kafka-streams", "target", "kafka-streams-1.0.0.jar"),
		Flink:   filepath.Join(peersDir, "flink", "target", "flink-1.0.0.jar"),
	}
	for _, p := range []string{j.Streams, j.Flink} {
		if _, err := os.Stat(p); err != nil {
			return Jars{}, fmt.Errorf("build peers: %w", err)
		}
	}
	return j, nil
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
