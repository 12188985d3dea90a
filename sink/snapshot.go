package sink

import (
	"context"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Snapshot returns every row of a view (or table) of the client's database as one line each,
// sorted with sort.Strings, so that two databases can be compared line by line.
//
// Line format: the columns in the view's order, separated by one tab; no trailing newline.
//   - String: the value with each backslash, tab and newline written as the two characters
//     \\, \t and \n; nothing else is escaped.
//   - Int*/UInt* (UInt8 flags included): decimal, e.g. 0, 1, -5, 1700000000000.
//   - DateTime: "2006-01-02 15:04:05" in UTC.
//   - Date: "2006-01-02".
//   - NULL of a Nullable column: \N.
//   - Float*: strconv.FormatFloat(v, 'g', -1, 64).
func (c *Client) Snapshot(ctx context.Context, view string) ([]string, error) {
	if !identifier.MatchString(view) {
		return nil, fmt.Errorf("snapshot: view name %q is not an identifier", view)
	}
	lines, err := c.queryLines(ctx, "SELECT * FROM "+c.db+"."+view)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", view, err)
	}
	sort.Strings(lines)
	return lines, nil
}

// queryLines runs query and renders each row in Snapshot's line format, in the order the
// server returns them.
func (c *Client) queryLines(ctx context.Context, query string) ([]string, error) {
	rs, err := c.conn.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	types := rs.ColumnTypes()
	dest := make([]any, len(types))
	dates := make([]bool, len(types))
	for i, t := range types {
		dest[i] = reflect.New(t.ScanType()).Interface()
		dates[i] = dateType.MatchString(t.DatabaseTypeName())
	}
	var (
		lines  []string
		fields = make([]string, len(types))
	)
	for rs.Next() {
		if err := rs.Scan(dest...); err != nil {
			return nil, err
		}
		for i, d := range dest {
			f, err := formatValue(reflect.ValueOf(d).Elem(), dates[i])
			if err != nil {
				return nil, fmt.Errorf("column %s: %w", types[i].Name(), err)
			}
			fields[i] = f
		}
		lines = append(lines, strings.Join(fields, "\t"))
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	return lines, nil
}

// dateType matches the ClickHouse types whose values are calendar days.
var dateType = regexp.MustCompile(`^(Nullable\()?Date(32)?\)?$`)

var snapshotEscaper = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`)

var timeType = reflect.TypeFor[time.Time]()

func formatValue(v reflect.Value, date bool) (string, error) {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return `\N`, nil
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.String:
		return snapshotEscaper.Replace(v.String()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64), nil
	case reflect.Bool:
		if v.Bool() {
			return "1", nil
		}
		return "0", nil
	}
	if v.Type() == timeType {
		if date {
			return v.Interface().(time.Time).UTC().Format(time.DateOnly), nil
		}
		return v.Interface().(time.Time).UTC().Format(time.DateTime), nil
	}
	return "", fmt.Errorf("unsupported type %s", v.Type())
}
