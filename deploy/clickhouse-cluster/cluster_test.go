package clickhousecluster

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The compose file and where the images read what it mounts.
const (
	composePath      = "../../docker-compose.cluster.yml"
	repoRoot         = "../.."
	serverConfigDir  = "/etc/clickhouse-server/config.d/"
	serverUsersDir   = "/etc/clickhouse-server/users.d/"
	keeperConfigPath = "/etc/clickhouse-keeper/keeper_config.xml"
	nativePort       = "9000"
)

type composeFile struct {
	Services map[string]service `yaml:"services"`
	Volumes  map[string]any     `yaml:"volumes"`
}

type service struct {
	Image       string            `yaml:"image"`
	Hostname    string            `yaml:"hostname"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	DependsOn   map[string]any    `yaml:"depends_on"`
}

// mounts maps each container path of the service to its host path, relative to the repository,
// or to the named volume.
func (s service) mounts() map[string]string {
	m := map[string]string{}
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 {
			m[parts[1]] = strings.TrimPrefix(parts[0], "./")
		}
	}
	return m
}

type clusterConfig struct {
	Shards []struct {
		InternalReplication bool `xml:"internal_replication"`
		Replicas            []struct {
			Host string `xml:"host"`
			Port string `xml:"port"`
		} `xml:"replica"`
	} `xml:"remote_servers>chatpulse>shard"`
	Secret struct {
		FromEnv string `xml:"from_env,attr"`
	} `xml:"remote_servers>chatpulse>secret"`
	ZooKeeper []struct {
		Host string `xml:"host"`
		Port string `xml:"port"`
	} `xml:"zookeeper>node"`
	DDLPath string `xml:"distributed_ddl>path"`
}

type nodeConfig struct {
	Shard           string `xml:"macros>shard"`
	Replica         string `xml:"macros>replica"`
	InterserverHost string `xml:"interserver_http_host"`
}

type keeperConfig struct {
	TCPPort string `xml:"keeper_server>tcp_port"`
	Servers []struct {
		Hostname string `xml:"hostname"`
	} `xml:"keeper_server>raft_configuration>server"`
}

type profileConfig struct {
	InsertDistributedSync  string `xml:"profiles>default>insert_distributed_sync"`
	DistributedProductMode string `xml:"profiles>default>distributed_product_mode"`
}

// readXML checks that the file is well-formed XML with a clickhouse root and decodes it into v.
func readXML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(strings.NewReader(string(b)))
	root := ""
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v", path, err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "clickhouse" {
		t.Fatalf("%s has root element %q, want clickhouse", path, root)
	}
	if err := xml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// nodeName is the service of shard s, replica r.
func nodeName(s, r int) string { return fmt.Sprintf("ch-s%dr%d", s, r) }

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	b, err := os.ReadFile(composePath)
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("%s: %v", composePath, err)
	}
	return c
}

func TestTheClusterComposeFileAndItsConfigurationAgree(t *testing.T) {
	c := loadCompose(t)
	var cluster clusterConfig
	readXML(t, "cluster.xml", &cluster)
	var keeper keeperConfig
	readXML(t, "keeper.xml", &keeper)

	t.Run("every XML file here is well-formed with a clickhouse root", func(t *testing.T) {
		files, err := filepath.Glob("*.xml")
		if err != nil || len(files) == 0 {
			t.Fatalf("no XML files: %v", err)
		}
		for _, f := range files {
			var v struct{}
			readXML(t, f, &v)
		}
	})

	t.Run("remote_servers lists the services shard by shard on their native port", func(t *testing.T) {
		if len(cluster.Shards) != 2 {
			t.Fatalf("%d shards, want 2", len(cluster.Shards))
		}
		for i, sh := range cluster.Shards {
			if !sh.InternalReplication {
				t.Errorf("shard %d: internal_replication is off", i+1)
			}
			var hosts []string
			for _, r := range sh.Replicas {
				hosts = append(hosts, r.Host)
				if r.Port != nativePort {
					t.Errorf("shard %d: %s on port %s, want %s", i+1, r.Host, r.Port, nativePort)
				}
			}
			if want := []string{nodeName(i+1, 1), nodeName(i+1, 2)}; !slices.Equal(hosts, want) {
				t.Errorf("shard %d lists %v, want %v", i+1, hosts, want)
			}
			for _, h := range hosts {
				if s, ok := c.Services[h]; !ok || s.Hostname != h {
					t.Errorf("shard %d lists %s, which is no service with that hostname", i+1, h)
				}
			}
		}
	})

	t.Run("each server mounts the shared files and its own node file, whose macros name it", func(t *testing.T) {
		replicas := map[string]string{}
		for s := 1; s <= 2; s++ {
			for r := 1; r <= 2; r++ {
				name := nodeName(s, r)
				svc, ok := c.Services[name]
				if !ok {
					t.Fatalf("no service %s", name)
				}
				m := svc.mounts()
				if m[serverConfigDir+"cluster.xml"] != "deploy/clickhouse-cluster/cluster.xml" ||
					m[serverUsersDir+"chatpulse-profile.xml"] != "deploy/clickhouse-cluster/profile.xml" {
					t.Errorf("%s does not mount cluster.xml and profile.xml where the server reads them: %v", name, m)
				}
				nodeFile := m[serverConfigDir+"node.xml"]
				if want := fmt.Sprintf("deploy/clickhouse-cluster/node-s%dr%d.xml", s, r); nodeFile != want {
					t.Fatalf("%s mounts %q as its node file, want %s", name, nodeFile, want)
				}
				var node nodeConfig
				readXML(t, filepath.Join(repoRoot, nodeFile), &node)
				if node.Shard != fmt.Sprint(s) || node.InterserverHost != name {
					t.Errorf("%s: shard macro %q and interserver host %q, want %d and %s", name, node.Shard, node.InterserverHost, s, name)
				}
				if other, dup := replicas[node.Replica]; dup || node.Replica == "" {
					t.Errorf("%s: replica macro %q is empty or also that of %s", name, node.Replica, other)
				}
				replicas[node.Replica] = name
				if _, ok := svc.Environment[cluster.Secret.FromEnv]; cluster.Secret.FromEnv == "" || !ok {
					t.Errorf("%s does not set %q, the cluster secret's variable", name, cluster.Secret.FromEnv)
				}
				if _, ok := svc.DependsOn["keeper"]; !ok {
					t.Errorf("%s does not depend on keeper", name)
				}
			}
		}
	})

	t.Run("the servers reach Keeper at the service and port it serves", func(t *testing.T) {
		k, ok := c.Services["keeper"]
		if !ok {
			t.Fatal("no keeper service")
		}
		if k.mounts()[keeperConfigPath] != "deploy/clickhouse-cluster/keeper.xml" {
			t.Errorf("keeper does not mount keeper.xml at %s: %v", keeperConfigPath, k.mounts())
		}
		if len(cluster.ZooKeeper) != 1 || cluster.ZooKeeper[0].Host != k.Hostname || cluster.ZooKeeper[0].Port != keeper.TCPPort {
			t.Errorf("servers use %+v, keeper serves %s:%s", cluster.ZooKeeper, k.Hostname, keeper.TCPPort)
		}
		if len(keeper.Servers) != 1 || keeper.Servers[0].Hostname != k.Hostname {
			t.Errorf("keeper's raft configuration %+v does not name its own host %s", keeper.Servers, k.Hostname)
		}
		if cluster.DDLPath == "" {
			t.Error("no distributed_ddl path: ON CLUSTER statements would be refused")
		}
	})

	t.Run("inserts through Distributed are synchronous and distributed subqueries global", func(t *testing.T) {
		var p profileConfig
		readXML(t, "profile.xml", &p)
		if p.InsertDistributedSync != "1" || p.DistributedProductMode != "global" {
			t.Errorf("profile: insert_distributed_sync %q, distributed_product_mode %q", p.InsertDistributedSync, p.DistributedProductMode)
		}
	})

	t.Run("every mounted host path exists and every named volume is declared", func(t *testing.T) {
		for name, svc := range c.Services {
			for _, host := range svc.mounts() {
				if strings.Contains(host, "/") {
					if _, err := os.Stat(filepath.Join(repoRoot, host)); err != nil {
						t.Errorf("%s mounts %s: %v", name, host, err)
					}
				} else if _, ok := c.Volumes[host]; !ok {
					t.Errorf("%s mounts undeclared volume %s", name, host)
				}
			}
			if !strings.HasPrefix(svc.Image, "clickhouse/clickhouse-") {
				t.Errorf("%s runs image %q", name, svc.Image)
			}
		}
	})
}
