// Package partition holds everything one partition of the repartition topic owns (message
// joins, user sessions) and turns each routed event into rows, as a pure function of the
// events applied in order.
package partition
