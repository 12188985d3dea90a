package main

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// templateRef is a Grafana template variable reference: $name, ${name} or ${name:format}.
var templateRef = regexp.MustCompile(`\$\{(\w+)(?::(\w+))?\}|\$(\w+)|\[\[(\w+)\]\]`)

// expandVariables replaces the dashboard's template variables as Grafana does before the query
// reaches the plugin, with each variable at its default: database is the demo's database and
// source is "All", which Grafana expands to every option of the custom variable but All. Only
// the forms the dashboards use are accepted: ${database} and ${source:singlequote}
// ('a','b',...). References starting with $__ are macros and stay for grafana.ExpandMacros.
func expandVariables(sql string, vars []templateVar, db string) (string, error) {
	var errs []error
	out := templateRef.ReplaceAllStringFunc(sql, func(ref string) string {
		m := templateRef.FindStringSubmatch(ref)
		if m[3] != "" && strings.HasPrefix(m[3], "__") {
			return ref
		}
		name, format := m[1], m[2]
		i := slices.IndexFunc(vars, func(v templateVar) bool { return v.Name == name })
		switch {
		case name == "database" && format == "" && i >= 0 && vars[i].Type == "textbox":
			return db
		case name == "source" && format == "singlequote" && i >= 0 && vars[i].Type == "custom":
			var quoted []string
			for _, o := range vars[i].Options {
				if o.Value != "$__all" {
					quoted = append(quoted, "'"+o.Value+"'")
				}
			}
			return strings.Join(quoted, ",")
		}
		errs = append(errs, fmt.Errorf("template variable reference %s is not ${database} or ${source:singlequote} of the dashboard", ref))
		return ref
	})
	return out, errors.Join(errs...)
}

func TestDashboardVariablesExpandAsGrafanaDoes(t *testing.T) {
	source := templateVar{Name: "source", Type: "custom", Query: "causalfoundry,expertflow"}
	for _, v := range []string{"$__all", "causalfoundry", "expertflow"} {
		source.Options = append(source.Options, struct {
			Value string `json:"value"`
		}{v})
	}
	vars := []templateVar{{Name: "database", Type: "textbox", Query: "chatpulse"}, source}
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"the database is the test's", "FROM ${database}.message_facts", "FROM analytics.message_facts", true},
		{"All sources are every option, each quoted", "source IN (${source:singlequote})", "source IN ('causalfoundry','expertflow')", true},
		{"macros are left to the plugin", "$__timeFilter(sent_at) AND x > $__interval_s", "$__timeFilter(sent_at) AND x > $__interval_s", true},
		{"an unquoted source list is rejected", "source IN ($source)", "", false},
		{"an unknown variable is rejected", "FROM ${db}.message_facts", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := expandVariables(tt.in, vars, "analytics")
			if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
				t.Fatalf("got %q, %v; want %q (ok %v)", got, err, tt.want, tt.ok)
			}
		})
	}
}
