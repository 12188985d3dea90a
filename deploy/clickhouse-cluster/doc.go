// Package clickhousecluster holds the ClickHouse and Keeper configuration of
// docker-compose.cluster.yml; its test checks that the compose file and these files agree.
package clickhousecluster
