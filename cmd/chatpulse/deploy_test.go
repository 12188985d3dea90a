package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/chatpulse/chatpulse/processor"
)

// repoRoot is the repository seen from this package's directory, where tests run.
const repoRoot = "../.."

// The deployment files the checks read, relative to the repository.
const (
	composePath        = "docker-compose.yml"
	dockerfilePath     = "Dockerfile"
	prometheusPath     = "deploy/prometheus/prometheus.yml"
	datasourcesPath    = "deploy/grafana/provisioning/datasources/datasources.yml"
	dashboardsProvPath = "deploy/grafana/provisioning/dashboards/dashboards.yml"
	dashboardsDir      = "deploy/grafana/dashboards"
	provisioningDir    = "deploy/grafana/provisioning"
)

// Where the images read what compose mounts.
const (
	grafanaProvisioningTarget = "/etc/grafana/provisioning"
	prometheusConfigTarget    = "/etc/prometheus/prometheus.yml"
)

func TestDeployFilesAgreeWithEachOther(t *testing.T) {
	d := loadDeployment(t)
	checks := []struct {
		name  string
		check func(t *testing.T, d *deployment) error
	}{
		{"every dashboard datasource is a provisioned datasource", checkDashboardDatasources},
		{"the dashboards provider reads the directory compose mounts the dashboards at", checkDashboardsMount},
		{"grafana reads the provisioning directory of the repository", checkProvisioningMount},
		{"prometheus reads the scrape configuration of the repository", checkPrometheusMount},
		{"the ClickHouse datasource reaches the clickhouse service on a port it publishes", checkClickHouseAddress},
		{"the datasource, the workers and the clickhouse service share user, password and database", checkClickHouseCredentials},
		{"the Prometheus datasource reaches the prometheus service", checkPrometheusDatasource},
		{"the workers' brokers name the kafka service at a listener it declares", checkKafkaBrokers},
		{"prometheus scrapes exactly the workers at the port of their HTTP address", checkScrapeTargets},
		{"every CHATPULSE_ variable set in compose is read and documented", checkKnownVariables},
		{"every chatpulse service's variables pass the configuration validation", checkVariablesValidate},
		{"every mounted host path exists in the repository", checkHostPaths},
		{"every named volume is declared", checkNamedVolumes},
		{"every service a depends_on names exists, healthy only with a healthcheck", checkDependsOn},
		{"the generator produces to exactly the workers' input topics", checkGeneratorTopics},
		{"the image's final stage runs as a non-root user", checkImageUser},
		{"the image builds ./cmd/chatpulse statically with the Go version of go.mod", checkImageBuild},
		{"the image exposes the workers' HTTP port", checkImageExpose},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if err := c.check(t, d); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// deployment is every deployment file, parsed.
type deployment struct {
	compose        composeFile
	prometheus     prometheusFile
	datasources    datasourcesFile
	dashboardsProv dashboardsProvFile
	dashboards     map[string]any // file name to the decoded JSON
	dockerfile     []dockerStage
	goVersion      string
	readme         string
}

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string       `yaml:"image"`
	Build       any          `yaml:"build"`
	Command     commandLine  `yaml:"command"`
	Environment envMap       `yaml:"environment"`
	Ports       []string     `yaml:"ports"`
	Expose      []string     `yaml:"expose"`
	Volumes     []string     `yaml:"volumes"`
	DependsOn   dependsOn    `yaml:"depends_on"`
	Healthcheck *healthcheck `yaml:"healthcheck"`
	Restart     string       `yaml:"restart"`
}

type healthcheck struct {
	Test commandLine `yaml:"test"`
}

// envMap is a service's environment, written as a map or as a list of KEY=VALUE.
type envMap map[string]string

func (e *envMap) UnmarshalYAML(n *yaml.Node) error {
	m := map[string]string{}
	switch n.Kind {
	case yaml.MappingNode:
		if err := n.Decode(&m); err != nil {
			return err
		}
	case yaml.SequenceNode:
		var list []string
		if err := n.Decode(&list); err != nil {
			return err
		}
		for _, kv := range list {
			k, v, _ := strings.Cut(kv, "=")
			m[k] = v
		}
	default:
		return fmt.Errorf("line %d: environment is neither a map nor a list", n.Line)
	}
	*e = m
	return nil
}

// commandLine is a command, written as a list or as one string.
type commandLine []string

func (c *commandLine) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*c = strings.Fields(n.Value)
		return nil
	}
	var list []string
	if err := n.Decode(&list); err != nil {
		return err
	}
	*c = list
	return nil
}

// dependsOn maps each service a service waits for to the condition, written as a map or a
// list (which waits for the start only).
type dependsOn map[string]string

func (d *dependsOn) UnmarshalYAML(n *yaml.Node) error {
	out := map[string]string{}
	if n.Kind == yaml.SequenceNode {
		var list []string
		if err := n.Decode(&list); err != nil {
			return err
		}
		for _, s := range list {
			out[s] = "service_started"
		}
		*d = out
		return nil
	}
	var m map[string]struct {
		Condition string `yaml:"condition"`
	}
	if err := n.Decode(&m); err != nil {
		return err
	}
	for s, c := range m {
		out[s] = c.Condition
	}
	*d = out
	return nil
}

type prometheusFile struct {
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		MetricsPath   string `yaml:"metrics_path"`
		StaticConfigs []struct {
			Targets []string `yaml:"targets"`
		} `yaml:"static_configs"`
	} `yaml:"scrape_configs"`
}

type datasourcesFile struct {
	Datasources []struct {
		Name           string            `yaml:"name"`
		UID            string            `yaml:"uid"`
		Type           string            `yaml:"type"`
		URL            string            `yaml:"url"`
		JSONData       map[string]any    `yaml:"jsonData"`
		SecureJSONData map[string]string `yaml:"secureJsonData"`
	} `yaml:"datasources"`
}

type dashboardsProvFile struct {
	Providers []struct {
		Name    string `yaml:"name"`
		Type    string `yaml:"type"`
		Options struct {
			Path string `yaml:"path"`
		} `yaml:"options"`
	} `yaml:"providers"`
}

// dockerStage is one FROM of the Dockerfile with its instructions, continuation lines joined.
type dockerStage struct {
	from         string // the image
	name         string // the AS name
	instructions []string
}

func loadDeployment(t *testing.T) *deployment {
	t.Helper()
	d := &deployment{dashboards: map[string]any{}}
	compose := readRepoFile(t, composePath)
	compose, err := interpolateCompose(compose)
	if err != nil {
		t.Fatalf("%s: %v", composePath, err)
	}
	if err := yaml.Unmarshal([]byte(compose), &d.compose); err != nil {
		t.Fatalf("%s: %v", composePath, err)
	}
	if len(d.compose.Services) == 0 {
		t.Fatalf("%s declares no services", composePath)
	}
	for path, into := range map[string]any{
		prometheusPath:     &d.prometheus,
		datasourcesPath:    &d.datasources,
		dashboardsProvPath: &d.dashboardsProv,
	} {
		if err := yaml.Unmarshal([]byte(readRepoFile(t, path)), into); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	files, err := filepath.Glob(filepath.Join(repoRoot, dashboardsDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("%s holds no dashboard JSON file", dashboardsDir)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		d.dashboards[filepath.Base(f)] = v
	}
	d.dockerfile = parseDockerfile(readRepoFile(t, dockerfilePath))
	if len(d.dockerfile) == 0 {
		t.Fatalf("%s has no FROM", dockerfilePath)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(readRepoFile(t, "go.mod"))
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	d.goVersion = m[1]
	d.readme = readRepoFile(t, "README.md")
	return d
}

func readRepoFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var composeVar = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// interpolateCompose replaces every variable as compose does when none is set, so that the
// values checked are the ones `docker compose up` uses without an .env file. A variable without
// a default is an error: the stack must start as it is.
func interpolateCompose(s string) (string, error) {
	var missing []string
	out := composeVar.ReplaceAllStringFunc(s, func(v string) string {
		m := composeVar.FindStringSubmatch(v)
		switch {
		case v == "$$":
			return "$"
		case m[2] != "":
			return m[3]
		case m[1] != "":
			missing = append(missing, m[1])
		default:
			missing = append(missing, m[4])
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("variables without a default: %v", missing)
	}
	return out, nil
}

var grafanaVar = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// expandGrafana replaces $VAR and ${VAR} from env, as Grafana does in provisioning files.
func expandGrafana(s string, env map[string]string) (string, error) {
	var err error
	out := grafanaVar.ReplaceAllStringFunc(s, func(v string) string {
		m := grafanaVar.FindStringSubmatch(v)
		name := m[1] + m[2]
		val, ok := env[name]
		if !ok {
			err = fmt.Errorf("%s is not in the grafana service's environment", name)
		}
		return val
	})
	return out, err
}

func parseDockerfile(s string) []dockerStage {
	var stages []dockerStage
	var logical []string
	var cur strings.Builder
	for _, line := range strings.Split(s, "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur.WriteString(strings.TrimSuffix(trimmed, "\\") + " ")
			continue
		}
		cur.WriteString(trimmed)
		logical = append(logical, cur.String())
		cur.Reset()
	}
	for _, l := range logical {
		fields := strings.Fields(l)
		if strings.EqualFold(fields[0], "FROM") {
			st := dockerStage{}
			for i := 1; i < len(fields); i++ {
				switch {
				case strings.HasPrefix(fields[i], "--"):
				case strings.EqualFold(fields[i], "AS") && i+1 < len(fields):
					st.name = fields[i+1]
					i++
				case st.from == "":
					st.from = fields[i]
				}
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) > 0 {
			stages[len(stages)-1].instructions = append(stages[len(stages)-1].instructions, l)
		}
	}
	return stages
}

// serviceByImage returns the one service whose image starts with prefix.
func (d *deployment) serviceByImage(prefix string) (string, composeService, error) {
	var names []string
	for name, s := range d.compose.Services {
		if strings.HasPrefix(s.Image, prefix) {
			names = append(names, name)
		}
	}
	if len(names) != 1 {
		return "", composeService{}, fmt.Errorf("want one service with an image %s*, found %v", prefix, names)
	}
	return names[0], d.compose.Services[names[0]], nil
}

// chatpulseServices are the services that run the image this repository builds, by name.
func (d *deployment) chatpulseServices() []string {
	var names []string
	for name, s := range d.compose.Services {
		if s.Build != nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// workers are the chatpulse services that run `chatpulse run`.
func (d *deployment) workers() ([]string, error) {
	var names []string
	for _, name := range d.chatpulseServices() {
		if cmd := d.compose.Services[name].Command; len(cmd) > 0 && cmd[0] == "run" {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil, errors.New("no service builds the image and runs `run`")
	}
	return names, nil
}

// generator is the chatpulse service that runs `chatpulse generate`.
func (d *deployment) generator() (string, error) {
	var names []string
	for _, name := range d.chatpulseServices() {
		if cmd := d.compose.Services[name].Command; len(cmd) > 0 && cmd[0] == "generate" {
			names = append(names, name)
		}
	}
	if len(names) != 1 {
		return "", fmt.Errorf("want one service running `generate`, found %v", names)
	}
	return names[0], nil
}

// workerEnv returns the value every worker sets for name; they must agree.
func (d *deployment) workerEnv(name string) (string, error) {
	workers, err := d.workers()
	if err != nil {
		return "", err
	}
	value, ok := d.compose.Services[workers[0]].Environment[name]
	if !ok {
		return "", fmt.Errorf("worker %s does not set %s", workers[0], name)
	}
	for _, w := range workers[1:] {
		if v := d.compose.Services[w].Environment[name]; v != value {
			return "", fmt.Errorf("workers %s and %s set %s to %q and %q", workers[0], w, name, value, v)
		}
	}
	return value, nil
}

// mounts maps each volume target of a service to its source.
func mounts(s composeService) map[string]string {
	out := map[string]string{}
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 {
			out[parts[1]] = parts[0]
		}
	}
	return out
}

func isHostPath(source string) bool {
	return strings.HasPrefix(source, ".") || strings.HasPrefix(source, "/") || strings.HasPrefix(source, "~")
}

// containerPorts lists the container side of a service's published and exposed ports.
func containerPorts(s composeService) []string {
	var out []string
	for _, p := range s.Ports {
		parts := strings.Split(p, ":")
		port, _, _ := strings.Cut(parts[len(parts)-1], "/")
		out = append(out, port)
	}
	for _, p := range s.Expose {
		port, _, _ := strings.Cut(p, "/")
		out = append(out, port)
	}
	return out
}

func (d *deployment) datasource(typ string) (int, error) {
	found := -1
	for i, ds := range d.datasources.Datasources {
		if ds.Type == typ {
			if found >= 0 {
				return 0, fmt.Errorf("%s provisions more than one %s datasource", datasourcesPath, typ)
			}
			found = i
		}
	}
	if found < 0 {
		return 0, fmt.Errorf("%s provisions no %s datasource", datasourcesPath, typ)
	}
	return found, nil
}

// builtinDatasources are the uids Grafana provides itself.
var builtinDatasources = []string{"grafana", "-- Grafana --", "-- Mixed --", "-- Dashboard --"}

func checkDashboardDatasources(_ *testing.T, d *deployment) error {
	uids := map[string]string{}
	for _, ds := range d.datasources.Datasources {
		uids[ds.UID] = ds.Type
	}
	var errs []error
	refs := 0
	for file, dash := range d.dashboards {
		walkDatasources(dash, "", func(path string, ref any) {
			refs++
			obj, ok := ref.(map[string]any)
			if !ok {
				errs = append(errs, fmt.Errorf("%s %s: datasource %v is not a {type, uid} reference", file, path, ref))
				return
			}
			uid, _ := obj["uid"].(string)
			if slices.Contains(builtinDatasources, uid) {
				return
			}
			typ, known := uids[uid]
			if !known {
				errs = append(errs, fmt.Errorf("%s %s: datasource uid %q is not provisioned in %s", file, path, uid, datasourcesPath))
				return
			}
			if t, ok := obj["type"].(string); ok && t != typ {
				errs = append(errs, fmt.Errorf("%s %s: datasource %q has type %q, provisioned as %q", file, path, uid, t, typ))
			}
		})
	}
	if refs == 0 {
		errs = append(errs, fmt.Errorf("no dashboard in %s refers to a datasource", dashboardsDir))
	}
	return errors.Join(errs...)
}

// walkDatasources calls fn with every non-null "datasource" value in v and its JSON path.
func walkDatasources(v any, path string, fn func(path string, ref any)) {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if k == "datasource" && child != nil {
				fn(path+"."+k, child)
				continue
			}
			walkDatasources(child, path+"."+k, fn)
		}
	case []any:
		for i, child := range v {
			walkDatasources(child, fmt.Sprintf("%s[%d]", path, i), fn)
		}
	}
}

func checkDashboardsMount(_ *testing.T, d *deployment) error {
	_, grafana, err := d.serviceByImage("grafana/grafana")
	if err != nil {
		return err
	}
	target := ""
	for t, src := range mounts(grafana) {
		if filepath.Clean(src) == dashboardsDir {
			target = t
		}
	}
	if target == "" {
		return fmt.Errorf("the grafana service does not mount ./%s", dashboardsDir)
	}
	if len(d.dashboardsProv.Providers) == 0 {
		return fmt.Errorf("%s has no provider", dashboardsProvPath)
	}
	var errs []error
	for _, p := range d.dashboardsProv.Providers {
		if p.Type != "file" || p.Options.Path != target {
			errs = append(errs, fmt.Errorf("provider %q reads %s (type %q), compose mounts the dashboards at %s", p.Name, p.Options.Path, p.Type, target))
		}
	}
	return errors.Join(errs...)
}

func checkProvisioningMount(_ *testing.T, d *deployment) error {
	_, grafana, err := d.serviceByImage("grafana/grafana")
	if err != nil {
		return err
	}
	if src := mounts(grafana)[grafanaProvisioningTarget]; filepath.Clean(src) != provisioningDir {
		return fmt.Errorf("the grafana service mounts %q at %s, want ./%s", src, grafanaProvisioningTarget, provisioningDir)
	}
	// Grafana 11 installs plugins named "id version" in GF_INSTALL_PLUGINS, Grafana 12 takes
	// "id@version" in GF_PLUGINS_PREINSTALL; either way the version is pinned, so that a new
	// plugin release cannot break the stack.
	pinned := regexp.MustCompile(`(^|,)\s*grafana-clickhouse-datasource[ @]\d+\.\d+\.\d+\s*(,|$)`)
	for _, v := range []string{"GF_INSTALL_PLUGINS", "GF_PLUGINS_PREINSTALL"} {
		if pinned.MatchString(grafana.Environment[v]) {
			return nil
		}
	}
	return fmt.Errorf("GF_INSTALL_PLUGINS %q, GF_PLUGINS_PREINSTALL %q: the ClickHouse datasource needs grafana-clickhouse-datasource at a pinned version",
		grafana.Environment["GF_INSTALL_PLUGINS"], grafana.Environment["GF_PLUGINS_PREINSTALL"])
}

func checkPrometheusMount(_ *testing.T, d *deployment) error {
	_, prom, err := d.serviceByImage("prom/prometheus")
	if err != nil {
		return err
	}
	if src := mounts(prom)[prometheusConfigTarget]; filepath.Clean(src) != prometheusPath {
		return fmt.Errorf("the prometheus service mounts %q at %s, want ./%s", src, prometheusConfigTarget, prometheusPath)
	}
	return nil
}

func checkClickHouseAddress(_ *testing.T, d *deployment) error {
	name, ch, err := d.serviceByImage("clickhouse/clickhouse-server")
	if err != nil {
		return err
	}
	i, err := d.datasource("grafana-clickhouse-datasource")
	if err != nil {
		return err
	}
	ds := d.datasources.Datasources[i]
	host, _ := ds.JSONData["host"].(string)
	port := fmt.Sprint(ds.JSONData["port"])
	var errs []error
	if host != name {
		errs = append(errs, fmt.Errorf("the ClickHouse datasource host is %q, the service is %q", host, name))
	}
	if p := ds.JSONData["protocol"]; p != "native" {
		errs = append(errs, fmt.Errorf("the ClickHouse datasource protocol is %v, want native (port 9000)", p))
	}
	if port != "9000" || !slices.Contains(containerPorts(ch), port) {
		errs = append(errs, fmt.Errorf("the ClickHouse datasource port is %s; the native port 9000 must be among the service's ports %v", port, containerPorts(ch)))
	}
	addr, err := d.workerEnv("CHATPULSE_CLICKHOUSE_ADDR")
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	if want := net.JoinHostPort(name, port); addr != want {
		errs = append(errs, fmt.Errorf("the workers' CHATPULSE_CLICKHOUSE_ADDR is %q, want %q", addr, want))
	}
	return errors.Join(errs...)
}

func checkClickHouseCredentials(_ *testing.T, d *deployment) error {
	_, ch, err := d.serviceByImage("clickhouse/clickhouse-server")
	if err != nil {
		return err
	}
	_, grafana, err := d.serviceByImage("grafana/grafana")
	if err != nil {
		return err
	}
	i, err := d.datasource("grafana-clickhouse-datasource")
	if err != nil {
		return err
	}
	ds := d.datasources.Datasources[i]
	password, err := expandGrafana(ds.SecureJSONData["password"], grafana.Environment)
	if err != nil {
		return fmt.Errorf("the ClickHouse datasource password: %w", err)
	}
	user, _ := ds.JSONData["username"].(string)
	database, _ := ds.JSONData["defaultDatabase"].(string)
	var errs []error
	for _, c := range []struct{ what, datasource, server, workerVar string }{
		{"user", user, ch.Environment["CLICKHOUSE_USER"], "CHATPULSE_CLICKHOUSE_USER"},
		{"password", password, ch.Environment["CLICKHOUSE_PASSWORD"], "CHATPULSE_CLICKHOUSE_PASSWORD"},
		{"database", database, ch.Environment["CLICKHOUSE_DB"], "CHATPULSE_CLICKHOUSE_DATABASE"},
	} {
		worker, err := d.workerEnv(c.workerVar)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if c.datasource == "" || c.datasource != c.server || c.datasource != worker {
			// Passwords are compared, never printed.
			if c.what == "password" {
				errs = append(errs, errors.New("the ClickHouse password differs between the datasource, CLICKHOUSE_PASSWORD and CHATPULSE_CLICKHOUSE_PASSWORD (or is empty)"))
				continue
			}
			errs = append(errs, fmt.Errorf("the ClickHouse %s is %q in the datasource, %q in the clickhouse service and %q in %s", c.what, c.datasource, c.server, worker, c.workerVar))
		}
	}
	if ch.Environment["CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT"] != "1" {
		errs = append(errs, errors.New("the clickhouse service does not set CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT=1"))
	}
	return errors.Join(errs...)
}

func checkPrometheusDatasource(_ *testing.T, d *deployment) error {
	name, prom, err := d.serviceByImage("prom/prometheus")
	if err != nil {
		return err
	}
	i, err := d.datasource("prometheus")
	if err != nil {
		return err
	}
	url := d.datasources.Datasources[i].URL
	host, port, err := net.SplitHostPort(strings.TrimPrefix(url, "http://"))
	if err != nil || host != name || !slices.Contains(containerPorts(prom), port) {
		return fmt.Errorf("the Prometheus datasource url is %q; want http://%s:PORT with PORT among %v", url, name, containerPorts(prom))
	}
	return nil
}

func checkKafkaBrokers(_ *testing.T, d *deployment) error {
	name, kafka, err := d.serviceByImage("apache/kafka")
	if err != nil {
		return err
	}
	listening := map[string]bool{}
	for _, l := range strings.Split(kafka.Environment["KAFKA_LISTENERS"], ",") {
		if i := strings.LastIndexByte(l, ':'); i >= 0 {
			listening[l[i+1:]] = true
		}
	}
	advertised := map[string]bool{}
	for _, l := range strings.Split(kafka.Environment["KAFKA_ADVERTISED_LISTENERS"], ",") {
		if _, hostport, ok := strings.Cut(l, "://"); ok {
			advertised[hostport] = true
		}
	}
	var errs []error
	for _, svc := range d.chatpulseServices() {
		brokers := d.compose.Services[svc].Environment["CHATPULSE_KAFKA_BROKERS"]
		if brokers == "" {
			errs = append(errs, fmt.Errorf("%s does not set CHATPULSE_KAFKA_BROKERS", svc))
			continue
		}
		for _, b := range strings.Split(brokers, ",") {
			host, port, err := net.SplitHostPort(b)
			switch {
			case err != nil:
				errs = append(errs, fmt.Errorf("%s: CHATPULSE_KAFKA_BROKERS %q: %v", svc, b, err))
			case host != name:
				errs = append(errs, fmt.Errorf("%s: broker %q is not the kafka service %q", svc, b, name))
			case !listening[port] || !advertised[b]:
				errs = append(errs, fmt.Errorf("%s: broker %q is not both a port of KAFKA_LISTENERS (%s) and in KAFKA_ADVERTISED_LISTENERS (%s)",
					svc, b, kafka.Environment["KAFKA_LISTENERS"], kafka.Environment["KAFKA_ADVERTISED_LISTENERS"]))
			}
		}
	}
	return errors.Join(errs...)
}

func checkScrapeTargets(_ *testing.T, d *deployment) error {
	workers, err := d.workers()
	if err != nil {
		return err
	}
	var want []string
	for _, w := range workers {
		addr := d.compose.Services[w].Environment["CHATPULSE_HTTP_ADDR"]
		_, port, err := net.SplitHostPort(addr)
		if err != nil || port == "" {
			return fmt.Errorf("worker %s: CHATPULSE_HTTP_ADDR %q has no port", w, addr)
		}
		want = append(want, net.JoinHostPort(w, port))
	}
	var got []string
	var errs []error
	for _, sc := range d.prometheus.ScrapeConfigs {
		if sc.MetricsPath != "" && sc.MetricsPath != "/metrics" {
			errs = append(errs, fmt.Errorf("job %s scrapes %s, the workers serve /metrics", sc.JobName, sc.MetricsPath))
		}
		for _, st := range sc.StaticConfigs {
			got = append(got, st.Targets...)
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		errs = append(errs, fmt.Errorf("%s scrapes %v, the workers are %v", prometheusPath, got, want))
	}
	return errors.Join(errs...)
}

func checkKnownVariables(t *testing.T, d *deployment) error {
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(CHATPULSE_[A-Z0-9_]+)`").FindAllStringSubmatch(d.readme, -1) {
		documented[m[1]] = true
	}
	read := configVariables(t)
	var errs []error
	seen := 0
	for _, svc := range slices.Sorted(maps.Keys(d.compose.Services)) {
		for name := range d.compose.Services[svc].Environment {
			if !strings.HasPrefix(name, envPrefix+"_") {
				continue
			}
			seen++
			if !slices.Contains(read, name) {
				errs = append(errs, fmt.Errorf("%s sets %s, which the configuration does not read", svc, name))
			} else if !documented[name] {
				errs = append(errs, fmt.Errorf("%s sets %s, which the README's configuration table does not document", svc, name))
			}
		}
	}
	if seen == 0 {
		errs = append(errs, fmt.Errorf("%s sets no CHATPULSE_ variable", composePath))
	}
	return errors.Join(errs...)
}

func checkVariablesValidate(t *testing.T, d *deployment) error {
	var errs []error
	for _, svc := range d.chatpulseServices() {
		t.Run(svc, func(t *testing.T) {
			clearEnv(t)
			for name, value := range d.compose.Services[svc].Environment {
				if strings.HasPrefix(name, envPrefix+"_") {
					t.Setenv(name, value)
				}
			}
			if _, err := loadConfig(); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", svc, err))
			}
		})
	}
	if len(errs) == 0 && len(d.chatpulseServices()) == 0 {
		return errors.New("no service builds the chatpulse image")
	}
	return errors.Join(errs...)
}

func checkHostPaths(_ *testing.T, d *deployment) error {
	var errs []error
	for _, svc := range slices.Sorted(maps.Keys(d.compose.Services)) {
		s := d.compose.Services[svc]
		for _, src := range mounts(s) {
			if !isHostPath(src) {
				continue
			}
			if _, err := os.Stat(filepath.Join(repoRoot, src)); err != nil {
				errs = append(errs, fmt.Errorf("%s mounts %s, which is not in the repository", svc, src))
			}
		}
		if ctx, ok := s.Build.(string); ok {
			if _, err := os.Stat(filepath.Join(repoRoot, ctx, dockerfilePath)); err != nil {
				errs = append(errs, fmt.Errorf("%s builds %s, which has no Dockerfile", svc, ctx))
			}
		}
	}
	return errors.Join(errs...)
}

func checkNamedVolumes(_ *testing.T, d *deployment) error {
	var errs []error
	for _, svc := range slices.Sorted(maps.Keys(d.compose.Services)) {
		for _, src := range mounts(d.compose.Services[svc]) {
			if isHostPath(src) {
				continue
			}
			if _, ok := d.compose.Volumes[src]; !ok {
				errs = append(errs, fmt.Errorf("%s mounts the volume %s, which the top-level volumes do not declare", svc, src))
			}
		}
	}
	return errors.Join(errs...)
}

func checkDependsOn(_ *testing.T, d *deployment) error {
	conditions := []string{"service_started", "service_healthy", "service_completed_successfully"}
	var errs []error
	for _, svc := range slices.Sorted(maps.Keys(d.compose.Services)) {
		for dep, cond := range d.compose.Services[svc].DependsOn {
			target, ok := d.compose.Services[dep]
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("%s depends on %s, which is not a service", svc, dep))
			case !slices.Contains(conditions, cond):
				errs = append(errs, fmt.Errorf("%s waits for %s with the unknown condition %q", svc, dep, cond))
			case cond == "service_healthy" && (target.Healthcheck == nil || len(target.Healthcheck.Test) == 0):
				errs = append(errs, fmt.Errorf("%s waits for %s to be healthy, which has no healthcheck", svc, dep))
			}
		}
	}
	return errors.Join(errs...)
}

func checkGeneratorTopics(_ *testing.T, d *deployment) error {
	if _, err := d.generator(); err != nil {
		return err
	}
	value, err := d.workerEnv("CHATPULSE_INPUT_TOPICS")
	if err != nil {
		return err
	}
	var topics processor.TopicFormats
	if err := topics.Decode(value); err != nil {
		return fmt.Errorf("CHATPULSE_INPUT_TOPICS %q: %w", value, err)
	}
	if topics.String() != demoTopics.String() {
		return fmt.Errorf("the workers read %s, the generator writes %s", topics, demoTopics)
	}
	return nil
}

func checkImageUser(_ *testing.T, d *deployment) error {
	final := d.dockerfile[len(d.dockerfile)-1]
	user := ""
	for _, in := range final.instructions {
		if f := strings.Fields(in); strings.EqualFold(f[0], "USER") && len(f) > 1 {
			user = f[1]
		}
	}
	if user == "" {
		if strings.HasSuffix(final.from, ":nonroot") {
			return nil
		}
		return fmt.Errorf("the final stage (FROM %s) sets no USER and its image is not a nonroot one", final.from)
	}
	name, _, _ := strings.Cut(user, ":")
	if name == "root" || name == "0" {
		return fmt.Errorf("the final stage runs as %s", user)
	}
	return nil
}

func checkImageBuild(_ *testing.T, d *deployment) error {
	var errs []error
	built := false
	for _, st := range d.dockerfile[:len(d.dockerfile)-1] {
		for _, in := range st.instructions {
			if !strings.HasPrefix(strings.ToUpper(in), "RUN ") || !strings.Contains(in, "go build") {
				continue
			}
			built = true
			for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "./cmd/chatpulse"} {
				if !strings.Contains(in, want) {
					errs = append(errs, fmt.Errorf("the build step lacks %s: %s", want, in))
				}
			}
		}
		if image, tag, _ := strings.Cut(st.from, ":"); image == "golang" && !strings.HasPrefix(tag, d.goVersion) {
			errs = append(errs, fmt.Errorf("the build stage uses golang:%s, go.mod says go %s", tag, d.goVersion))
		}
	}
	if !built {
		errs = append(errs, errors.New("no stage before the final one runs go build"))
	}
	final := d.dockerfile[len(d.dockerfile)-1]
	copied := false
	for _, in := range final.instructions {
		if strings.HasPrefix(strings.ToUpper(in), "COPY ") && strings.Contains(in, "--from=") {
			copied = true
		}
	}
	if !copied {
		errs = append(errs, errors.New("the final stage copies nothing from the build stage"))
	}
	return errors.Join(errs...)
}

func checkImageExpose(_ *testing.T, d *deployment) error {
	addr, err := d.workerEnv("CHATPULSE_HTTP_ADDR")
	if err != nil {
		return err
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("CHATPULSE_HTTP_ADDR %q: %w", addr, err)
	}
	var exposed []string
	for _, in := range d.dockerfile[len(d.dockerfile)-1].instructions {
		if f := strings.Fields(in); strings.EqualFold(f[0], "EXPOSE") {
			for _, p := range f[1:] {
				p, _, _ = strings.Cut(p, "/")
				exposed = append(exposed, p)
			}
		}
	}
	if !slices.Contains(exposed, port) {
		return fmt.Errorf("the final stage exposes %v, the workers listen on %s", exposed, port)
	}
	return nil
}
