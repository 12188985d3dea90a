package main

import (
	_ "embed"
	"encoding/json"
	"html/template"
	"net/http"
	"strconv"
	"time"
)

//go:embed status.html
var statusHTML string

// statusRefresh is how often the page reloads itself.
const statusRefresh = 2 * time.Second

var statusPage = template.Must(template.New("status").Funcs(template.FuncMap{
	"lag": func(l *int64) string {
		if l == nil {
			return "–"
		}
		return strconv.FormatInt(*l, 10)
	},
	"seconds":    func(s float64) string { return shortDuration(time.Duration(s * float64(time.Second))) },
	"bytes":      shortBytes,
	"int64":      func(n int) int64 { return int64(n) },
	"deref":      func(p *int64) int64 { return *p },
	"derefInt":   func(p *int) int { return *p },
	"derefFloat": func(p *float64) float64 { return *p },
}).Parse(statusHTML))

// statusHandlers serve the page at / and its figures as JSON at /status.
func statusHandlers(mux *http.ServeMux, st *workerStatus) {
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		err := statusPage.Execute(w, struct {
			Doc            statusDoc
			RefreshSeconds int
		}{st.build(time.Now()), int(statusRefresh / time.Second)})
		if err != nil {
			http.Error(w, "status page: "+err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(st.build(time.Now()))
	})
}
