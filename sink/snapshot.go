package sink

import (
	"context"
	"fmt"
	"reflect"
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
//   - NULL of a Nullable column: \N.
//   - Float*: strconv.FormatFloat(v, 'g', -1, 64).
func (c *Client) Snapshot(ctx context.Context, view string) ([]string, error) {
	if !identifier.MatchString(view) {
		return nil, fmt.Errorf("snapshot: view name %q is not an identifier", view)
	}
	rs, err := c.conn.Query(ctx, "SELECT * FROM "+c.db+"."+view)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", view, err)
	}
	defer rs.Close()
	types := rs.ColumnTypes()
	dest := make([]any, len(types))
	for i, t := range types {
		dest[i] = reflect.New(t.ScanType()).Interface()
	}
	var (
		lines  []string
		fields = make([]string, len(types))
	)
	for rs.Next() {
		if err := rs.Scan(dest...); err != nil {
			return nil, fmt.Errorf("snapshot %s: %w", view, err)
		}
		for i, d := range dest {
			f, err := formatValue(reflect.ValueOf(d).Elem())
			if err != nil {
				return nil, fmt.Errorf("snapshot %s: column %s: %w", view, types[i].Name(), err)
			}
			fields[i] = f
		}
		lines = append(lines, strings.Join(fields, "\t"))
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", view, err)
	}
	sort.Strings(lines)
	return lines, nil
}

var snapshotEscaper = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`)

var timeType = reflect.TypeFor[time.Time]()

func formatValue(v reflect.Value) (string, error) {
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
		return v.Interface().(time.Time).UTC().Format(time.DateTime), nil
	}
	return "", fmt.Errorf("unsupported type %s", v.Type())
}
