/*
 * c_bench: the calls benchmark through libmonosync_exchange, the way a C host makes them.
 *
 *   c_bench URL [CALLS [IDENTITY]]
 *
 * Opens a session (NTLM, sealed), runs CALLS sequential Get-Mailbox -Identity calls, reads
 * each result's Name, closes. Prints one JSON line in the fields of mx-bench and clients.py:
 * wall and CPU seconds per phase and each phase's window on mx-sim's request-log clock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "monosync_exchange.h"

#define LIT(s) (s), (sizeof(s) - 1)
#define CSTR(s) (s), strlen(s)

struct phase {
    double wall0, cpu0, wall, cpu;
    unsigned long long start_ms, end_ms;
};

static double clock_seconds(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long long epoch_ms(void) {
    return (unsigned long long)(clock_seconds(CLOCK_REALTIME) * 1000.0);
}

/* A few milliseconds between phases, so that two phases never share the log's millisecond. */
static void pause_ms(long ms) {
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static void phase_start(struct phase *p) {
    pause_ms(5);
    p->start_ms = epoch_ms();
    p->cpu0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
    p->wall0 = clock_seconds(CLOCK_MONOTONIC);
}

static void phase_stop(struct phase *p) {
    p->wall = clock_seconds(CLOCK_MONOTONIC) - p->wall0;
    p->cpu = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - p->cpu0;
    p->end_ms = epoch_ms();
    pause_ms(5);
}

static void phase_print(const char *name, const struct phase *p) {
    printf("\"%s_wall_s\": %.6f, \"%s_cpu_s\": %.6f, \"%s_start_ms\": %llu, \"%s_end_ms\": %llu",
           name, p->wall, name, p->cpu, name, p->start_ms, name, p->end_ms);
}

static int fail(const char *step, mx_result_code code, mx_error *err) {
    mx_str message = mx_error_message(err);
    fprintf(stderr, "c_bench: %s: %s: %.*s\n", step, mx_result_code_name(code),
            (int)message.len, message.data ? message.data : "");
    mx_error_free(err);
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: c_bench URL [CALLS [IDENTITY]]\n");
        return 2;
    }
    const char *url = argv[1];
    long calls = argc > 2 ? strtol(argv[2], NULL, 10) : 2000;
    const char *identity = argc > 3 ? argv[3] : "Administrator";
    mx_error *err = NULL;
    mx_result_code code;

    mx_options *options = mx_options_new();
    if ((code = mx_options_set_url(options, CSTR(url), &err)) != MX_OK ||
        (code = mx_options_set_auth(options, MX_AUTH_NTLM, &err)) != MX_OK ||
        (code = mx_options_set_username(options, LIT("CONTOSO\\Administrator"), &err)) != MX_OK ||
        (code = mx_options_set_password(options, LIT("P@ssw0rd!"), &err)) != MX_OK) {
        mx_options_free(options);
        return fail("options", code, err);
    }
    struct phase open, run;
    mx_session *session = NULL;
    phase_start(&open);
    code = mx_session_open(options, &session, &err);
    phase_stop(&open);
    mx_options_free(options);
    if (code != MX_OK) {
        return fail("mx_session_open", code, err);
    }

    mx_command *command = NULL;
    if ((code = mx_command_new(LIT("Get-Mailbox"), &command, &err)) != MX_OK ||
        (code = mx_command_add_string(command, LIT("Identity"), CSTR(identity), &err)) != MX_OK) {
        mx_session_free(session);
        return fail("command", code, err);
    }
    int status = 0;
    phase_start(&run);
    for (long i = 0; i < calls && status == 0; i++) {
        mx_result *result = NULL;
        if ((code = mx_session_invoke(session, command, &result, &err)) != MX_OK) {
            status = fail("mx_session_invoke", code, err);
            break;
        }
        mx_str name = {0};
        const mx_object *mailbox = mx_result_get(result, 0);
        if (mx_result_count(result) != 1 || mailbox == NULL ||
            mx_object_property_string(mailbox, LIT("Name"), &name, &err) != MX_OK ||
            name.len == 0) {
            fprintf(stderr, "c_bench: Get-Mailbox did not return one named mailbox\n");
            mx_error_free(err);
            err = NULL;
            status = 1;
        }
        mx_result_free(result);
    }
    phase_stop(&run);
    mx_command_free(command);
    if ((code = mx_session_close(session, &err)) != MX_OK) {
        status = fail("mx_session_close", code, err);
    }
    mx_session_free(session);
    if (status == 0) {
        printf("{\"bench\": \"calls\", \"client\": \"c\", \"calls\": %ld, ", calls);
        phase_print("open", &open);
        printf(", ");
        phase_print("calls", &run);
        printf("}\n");
    }
    return status;
}
