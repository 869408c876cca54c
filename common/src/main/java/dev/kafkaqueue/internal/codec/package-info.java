/**
 * The record envelope (an item or a poison pill, in JSON), its fast and strict readers, and the items' mapping to and
 * from the program's objects. Internal.
 */
package dev.kafkaqueue.internal.codec;
