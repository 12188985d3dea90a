package testenv

// WithQueryLog makes the server keep system.query_log, which records each query's time, rows
// read and peak memory when the query runs with log_queries = 1; the query benchmark reads it.
func WithQueryLog() ClickHouseOption {
	return func(o *clickHouseOptions) { o.queryLog = true }
}

// queryLogConfig is the query_log section of the configuration, "" without WithQueryLog.
func (c *ClickHouse) queryLogConfig() string {
	if !c.opts.queryLog {
		return ""
	}
	return `    <query_log>
        <database>system</database>
        <table>query_log</table>
        <flush_interval_milliseconds>1000</flush_interval_milliseconds>
    </query_log>
`
}
