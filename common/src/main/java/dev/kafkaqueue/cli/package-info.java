/**
 * What the command lines share: picocli conventions, the connection flags, durations, the settings checks that name
 * flags, exit codes, the item log, metrics over HTTP and the graceful SIGTERM. Built on the public API; the library
 * never uses it.
 */
package dev.kafkaqueue.cli;
