// Package grafana reads the ClickHouse queries of the dashboards in dashboards/ and expands
// them as Grafana and the ClickHouse plugin do, so that what tests and benchmarks run is what
// a panel sends.
package grafana
