/*
 * A real Kafka-protocol broker on loopback for the integration tests: librdkafka's mock cluster (Debian
 * librdkafka-dev). It speaks the wire protocol kafkajs uses (produce, fetch, consumer groups, offset commits).
 *
 *   mock-broker [BROKERS] [TOPIC:PARTITIONS ...]
 *
 * Prints "bootstrap HOST:PORT,..." on stdout, then obeys one command per line on stdin and answers "ok" or
 * "error ...":  topic NAME PARTITIONS | down ID | up ID (ID -1 = every broker) | quit.
 * Exits when stdin closes or on SIGTERM, so a test harness that dies takes the broker with it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static int create_topic(rd_kafka_mock_cluster_t *mc, const char *name, int partitions) {
  rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, name, partitions, 1);
  if (err) printf("error topic %s: %s\n", name, rd_kafka_err2str(err));
  return err ? -1 : 0;
}

int main(int argc, char **argv) {
  char errstr[512], line[1024], name[512];
  int brokers = argc > 1 ? atoi(argv[1]) : 1;
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof errstr);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) { fprintf(stderr, "mock-broker: rd_kafka_new: %s\n", errstr); return 1; }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers < 1 ? 1 : brokers);
  if (!mc) { fprintf(stderr, "mock-broker: cannot create mock cluster\n"); return 1; }
  for (int i = 2; i < argc; i++) {
    int parts = 1;
    char *colon = strrchr(argv[i], ':');
    if (colon) { *colon = 0; parts = atoi(colon + 1); }
    if (create_topic(mc, argv[i], parts)) return 1;
  }
  printf("bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);
  while (fgets(line, sizeof line, stdin)) {
    int n = 0, id = 0;
    if (sscanf(line, "topic %511s %d", name, &n) == 2) {
      if (!create_topic(mc, name, n)) printf("ok\n");
    } else if (sscanf(line, "down %d", &id) == 1) {
      rd_kafka_resp_err_t err = rd_kafka_mock_broker_set_down(mc, id);
      printf(err ? "error down: %s\n" : "ok\n", rd_kafka_err2str(err));
    } else if (sscanf(line, "up %d", &id) == 1) {
      rd_kafka_resp_err_t err = rd_kafka_mock_broker_set_up(mc, id);
      printf(err ? "error up: %s\n" : "ok\n", rd_kafka_err2str(err));
    } else if (strncmp(line, "quit", 4) == 0) {
      break;
    } else {
      printf("error unknown command: %s", line);
    }
    fflush(stdout);
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
