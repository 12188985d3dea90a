package testenv

// WithWorkLog makes the server record where its work goes: every query of every user in
// system.query_log (log_queries = 1 in the default profile) and every new, merged and removed
// part in system.part_log. The benchmark reads both to attribute ClickHouse's CPU to tables.
func WithWorkLog() ClickHouseOption {
	return func(o *clickHouseOptions) { o.workLog = true }
}

// workLogConfig is the query_log and part_log sections of the configuration, "" without
// WithWorkLog (query_log only once, with WithQueryLog too).
func (c *ClickHouse) workLogConfig() string {
	if !c.opts.workLog {
		return ""
	}
	parts := `    <part_log>
        <database>system</database>
        <table>part_log</table>
        <flush_interval_milliseconds>1000</flush_interval_milliseconds>
    </part_log>
`
	if c.opts.queryLog {
		return parts
	}
	return parts + `    <query_log>
        <database>system</database>
        <table>query_log</table>
        <flush_interval_milliseconds>1000</flush_interval_milliseconds>
    </query_log>
`
}

// workLogProfile is the default profile's setting that logs every query, "" without WithWorkLog.
func (c *ClickHouse) workLogProfile() string {
	if !c.opts.workLog {
		return ""
	}
	return "            <log_queries>1</log_queries>\n"
}
