/*
 * provision: provisions a mailbox through libmonosync_exchange, the way a C host would.
 *
 *   provision URL [USER PASSWORD]
 *
 * Connects with NTLM, enables a mailbox for a user that has none, sets its properties,
 * creates a second mailbox with a password (sent as a SecureString), reads both back, streams
 * Get-Mailbox and stops it early, then shows the two shapes a NotFound takes: a record of
 * the error stream, and a failed call under -ErrorAction Stop. Last, a pool of two sessions
 * whose first server is down runs a few commands on the second. Every handle is freed, so the
 * program runs clean under valgrind. Exits 0 when every step behaved as expected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monosync_exchange.h"

/* A string literal as the (pointer, length) pair the API takes. */
#define LIT(s) (s), (sizeof(s) - 1)
/* A C string as (pointer, length). */
#define CSTR(s) (s), strlen(s)
/* An mx_str for printf's "%.*s". */
#define STR(v) (int)(v).len, ((v).data ? (v).data : "")

static int failures = 0;

/* Prints the error of a failed call and frees it. */
static void report(const char *step, mx_result_code code, mx_error *err) {
    mx_str message = mx_error_message(err);
    mx_str fqeid = mx_error_fqeid(err);
    fprintf(stderr, "%s failed: %s (%u): %.*s\n", step, mx_result_code_name(code), code,
            STR(message));
    if (fqeid.data != NULL) {
        fprintf(stderr, "  FullyQualifiedErrorId: %.*s\n", STR(fqeid));
    }
    mx_error_free(err);
}

/* Checks a call that must succeed; counts and reports a failure. `errp` is read here, after
 * the call that may have filled it (C leaves the order of argument evaluation open). */
static int ok(const char *step, mx_result_code code, mx_error **errp) {
    if (code == MX_OK) {
        return 1;
    }
    report(step, code, *errp);
    *errp = NULL;
    failures++;
    return 0;
}

static void expect(int condition, const char *what) {
    if (!condition) {
        fprintf(stderr, "unexpected: %s\n", what);
        failures++;
    }
}

/* Log events of warning level and above go to stderr. */
static void on_log(void *userdata, uint32_t level, mx_str target, mx_str message) {
    (void)userdata;
    fprintf(stderr, "[log %u] %.*s: %.*s\n", level, STR(target), STR(message));
}

/* Prints a string property, or "-" when absent. */
static void print_property(const mx_object *object, const char *name) {
    mx_str value;
    if (mx_object_property_string(object, CSTR(name), &value, NULL) == MX_OK) {
        printf("    %-22s %.*s\n", name, STR(value));
    } else {
        printf("    %-22s -\n", name);
    }
}

/* Runs a command and returns its result, or NULL after reporting the failure. */
static mx_result *run(const mx_session *session, const mx_command *command, const char *step) {
    mx_result *result = NULL;
    mx_error *err = NULL;
    if (!ok(step, mx_session_invoke(session, command, &result, &err), &err)) {
        return NULL;
    }
    return result;
}

/* The streaming callback's state. */
struct stream_state {
    int objects;
    int records;
    int limit;
};

static int on_item(void *userdata, uint32_t stream, const mx_object *object,
                   const mx_record *record) {
    struct stream_state *state = userdata;
    if (stream != MX_STREAM_OUTPUT) {
        mx_str message = mx_record_message(record);
        printf("    [stream %u] %.*s\n", stream, STR(message));
        state->records++;
        return 0;
    }
    state->objects++;
    if (state->objects <= 3) {
        mx_str name;
        if (mx_object_property_string(object, LIT("Name"), &name, NULL) == MX_OK) {
            printf("    streamed: %.*s\n", STR(name));
        }
    }
    /* Non-zero stops the command on the server. */
    return state->objects >= state->limit;
}

/* Step 1: the first user without a mailbox, copied into `name`. */
static int pick_user(const mx_session *session, char *name, size_t size) {
    mx_command *command = NULL;
    mx_error *err = NULL;
    int found = 0;
    if (!ok("mx_command_new", mx_command_new(LIT("Get-User"), &command, &err), &err)) {
        return 0;
    }
    ok("add RecipientTypeDetails",
       mx_command_add_string(command, LIT("RecipientTypeDetails"), LIT("User"), &err), &err);
    mx_result *users = run(session, command, "Get-User");
    mx_command_free(command);
    if (users == NULL) {
        return 0;
    }
    printf("[1] Get-User -RecipientTypeDetails User: %zu users without a mailbox\n",
           mx_result_count(users));
    const mx_object *user = NULL;
    if (mx_result_next(users, &user) == MX_OK) {
        mx_str value;
        if (mx_object_property_string(user, LIT("Name"), &value, NULL) == MX_OK &&
            value.len < size) {
            memcpy(name, value.data, value.len);
            name[value.len] = '\0';
            found = 1;
        }
    }
    mx_result_free(users);
    expect(found, "a user without a mailbox");
    return found;
}

/* Step 2: Enable-Mailbox, then Set-Mailbox with a string, a bool and a hashtable in JSON. */
static void enable_and_set(const mx_session *session, const char *name, const char *address) {
    mx_command *command = NULL;
    mx_error *err = NULL;
    char json[160];
    snprintf(json, sizeof json, "{\"Add\": [\"%s\"]}", address);
    if (ok("mx_command_new", mx_command_new(LIT("Enable-Mailbox"), &command, &err), &err)) {
        ok("add Identity", mx_command_add_string(command, LIT("Identity"), CSTR(name), &err),
           &err);
        mx_result *result = run(session, command, "Enable-Mailbox");
        if (result != NULL) {
            const mx_object *mailbox = mx_result_get(result, 0);
            expect(mailbox != NULL, "Enable-Mailbox returns the mailbox");
            printf("[2] Enable-Mailbox -Identity '%s'\n", name);
            if (mailbox != NULL) {
                print_property(mailbox, "PrimarySmtpAddress");
                print_property(mailbox, "Database");
            }
            mx_result_free(result);
        }
        mx_command_free(command);
    }

    if (ok("mx_command_new", mx_command_new(LIT("Set-Mailbox"), &command, &err), &err)) {
        ok("add Identity", mx_command_add_string(command, LIT("Identity"), CSTR(name), &err),
           &err);
        ok("add Office", mx_command_add_string(command, LIT("Office"), LIT("HQ-C"), &err), &err);
        ok("add CustomAttribute1",
           mx_command_add_string(command, LIT("CustomAttribute1"), LIT("provisioned-from-c"),
                                 &err),
           &err);
        ok("add HiddenFromAddressListsEnabled",
           mx_command_add_bool(command, LIT("HiddenFromAddressListsEnabled"), false, &err), &err);
        ok("add EmailAddresses",
           mx_command_add_json(command, LIT("EmailAddresses"), CSTR(json), &err),
           &err);
        mx_result *result = run(session, command, "Set-Mailbox");
        if (result != NULL) {
            size_t errors = mx_result_record_count(result, MX_STREAM_ERROR);
            printf("[3] Set-Mailbox: %zu errors\n", errors);
            expect(errors == 0, "Set-Mailbox without errors");
            mx_result_free(result);
        }
        mx_command_free(command);
    }
}

/* Step 3: New-Mailbox with a SecureString password. */
static void new_mailbox(const mx_session *session, char *alias, size_t size) {
    mx_command *command = NULL;
    mx_error *err = NULL;
    char upn[128];
    snprintf(alias, size, "c-example-%ld", (long)getpid());
    snprintf(upn, sizeof upn, "%s@contoso.com", alias);
    if (!ok("mx_command_new", mx_command_new(LIT("New-Mailbox"), &command, &err), &err)) {
        return;
    }
    ok("add Name", mx_command_add_string(command, LIT("Name"), CSTR(alias), &err), &err);
    ok("add UserPrincipalName",
       mx_command_add_string(command, LIT("UserPrincipalName"), CSTR(upn), &err), &err);
    ok("add Password", mx_command_add_secure(command, LIT("Password"), LIT("Initial!Passw0rd"),
                                             &err),
       &err);
    ok("add ResetPasswordOnNextLogon",
       mx_command_add_switch(command, LIT("ResetPasswordOnNextLogon"), &err), &err);
    mx_result *result = run(session, command, "New-Mailbox");
    mx_command_free(command);
    if (result == NULL) {
        return;
    }
    const mx_object *mailbox = mx_result_get(result, 0);
    expect(mailbox != NULL, "New-Mailbox returns the mailbox");
    if (mailbox != NULL) {
        mx_str upn_back;
        expect(mx_object_property_string(mailbox, LIT("UserPrincipalName"), &upn_back, NULL) ==
                       MX_OK &&
                   upn_back.len == strlen(upn) && memcmp(upn_back.data, upn, upn_back.len) == 0,
               "New-Mailbox keeps the UPN");
        printf("[4] New-Mailbox -Name %s -Password <SecureString>\n", alias);
        print_property(mailbox, "UserPrincipalName");
    }
    mx_result_free(result);
}

/* Step 4: Get-Mailbox of the enabled user: typed accessors and JSON. */
static void read_back(const mx_session *session, const char *name, const char *address) {
    mx_command *command = NULL;
    mx_error *err = NULL;
    if (!ok("mx_command_new", mx_command_new(LIT("Get-Mailbox"), &command, &err), &err)) {
        return;
    }
    ok("add Identity", mx_command_add_string(command, LIT("Identity"), CSTR(name), &err), &err);
    mx_result *result = run(session, command, "Get-Mailbox");
    mx_command_free(command);
    if (result == NULL) {
        return;
    }
    const mx_object *mailbox = NULL;
    expect(mx_result_count(result) == 1, "Get-Mailbox finds one mailbox");
    printf("[5] Get-Mailbox -Identity '%s'\n", name);
    while (mx_result_next(result, &mailbox) == MX_OK) {
        print_property(mailbox, "PrimarySmtpAddress");
        print_property(mailbox, "RecipientTypeDetails");
        print_property(mailbox, "Office");
        print_property(mailbox, "CustomAttribute1");
        mx_str office;
        expect(mx_object_property_string(mailbox, LIT("Office"), &office, NULL) == MX_OK &&
                   office.len == 4 && memcmp(office.data, "HQ-C", 4) == 0,
               "Office was set");
        bool hidden = true;
        expect(mx_object_property_bool(mailbox, LIT("HiddenFromAddressListsEnabled"), &hidden,
                                       NULL) == MX_OK &&
                   !hidden,
               "HiddenFromAddressListsEnabled is false");
        int64_t kind = 0;
        if (mx_object_property_int(mailbox, LIT("RecipientTypeDetails"), &kind, NULL) == MX_OK) {
            printf("    %-22s %lld (enum value)\n", "RecipientTypeDetails", (long long)kind);
        }
        const mx_object *addresses = NULL;
        if (mx_object_property(mailbox, LIT("EmailAddresses"), &addresses, NULL) == MX_OK) {
            size_t count = mx_object_list_count(addresses);
            int found = 0;
            for (size_t i = 0; i < count; i++) {
                mx_string *text = NULL;
                if (mx_object_to_string(mx_object_list_item(addresses, i), &text, NULL) ==
                    MX_OK) {
                    printf("    EmailAddresses[%zu]      %s\n", i, mx_string_data(text));
                    found |= strcmp(mx_string_data(text), address) == 0;
                    mx_string_free(text);
                }
            }
            expect(found, "the added proxy address is there");
        }
        mx_str type = mx_object_type_name(mailbox, 0);
        printf("    type                   %.*s\n", STR(type));
        mx_string *json = NULL;
        if (ok("mx_object_json", mx_object_json(mailbox, &json, &err), &err)) {
            printf("    JSON: %zu bytes, starts %.60s...\n", mx_string_len(json),
                   mx_string_data(json));
            mx_string_free(json);
        }
    }
    mx_result_free(result);
}

/* Step 5: stream every mailbox, stopping after 25. */
static void stream_mailboxes(const mx_session *session) {
    mx_command *command = NULL;
    mx_error *err = NULL;
    struct stream_state state = {0, 0, 25};
    if (!ok("mx_command_new", mx_command_new(LIT("Get-Mailbox"), &command, &err), &err)) {
        return;
    }
    ok("add ResultSize", mx_command_add_string(command, LIT("ResultSize"), LIT("Unlimited"), &err),
       &err);
    printf("[6] Get-Mailbox -ResultSize Unlimited, streamed, stopped after %d\n", state.limit);
    ok("mx_session_invoke_streaming",
       mx_session_invoke_streaming(session, command, on_item, &state, &err), &err);
    mx_command_free(command);
    printf("    %d objects, %d records before the stop\n", state.objects, state.records);
    expect(state.objects == state.limit, "the callback saw exactly the objects it asked for");
}

/* Step 6: a missing mailbox, as an error record and as a failed call. */
static void not_found(const mx_session *session) {
    mx_command *command = NULL;
    mx_error *err = NULL;
    if (!ok("mx_command_new", mx_command_new(LIT("Get-Mailbox"), &command, &err), &err)) {
        return;
    }
    ok("add Identity",
       mx_command_add_string(command, LIT("Identity"), LIT("nobody-here"), &err), &err);
    mx_result *result = run(session, command, "Get-Mailbox nobody-here");
    if (result != NULL) {
        const mx_record *record = mx_result_record(result, MX_STREAM_ERROR, 0);
        mx_result_code kind = mx_record_error_kind(record);
        mx_str message = mx_record_message(record);
        mx_str fqeid = mx_record_fqeid(record);
        printf("[7] Get-Mailbox -Identity nobody-here: %zu objects, %zu error records\n",
               mx_result_count(result), mx_result_record_count(result, MX_STREAM_ERROR));
        printf("    kind %s (%u): %.*s\n", mx_result_code_name(kind), kind, STR(message));
        printf("    FullyQualifiedErrorId: %.*s\n", STR(fqeid));
        expect(kind == MX_NOT_FOUND, "the error record is a NotFound");
        mx_result_free(result);
    }

    ok("add ErrorAction",
       mx_command_add_string(command, LIT("ErrorAction"), LIT("Stop"), &err), &err);
    result = NULL;
    mx_result_code code = mx_session_invoke(session, command, &result, &err);
    printf("[8] the same with -ErrorAction Stop: %s (%u)\n", mx_result_code_name(code), code);
    expect(code == MX_NOT_FOUND, "the call fails with MX_NOT_FOUND");
    expect(result == NULL, "no result on failure");
    if (code != MX_OK) {
        mx_str exception = mx_error_exception_type(err);
        mx_str hint = mx_error_hint(err);
        uint32_t server_code = 0;
        printf("    exception: %.*s\n", STR(exception));
        printf("    hint: %.*s\n", hint.data ? (int)hint.len : 6, hint.data ? hint.data : "(none)");
        printf("    WS-Management fault code: %s\n",
               mx_error_server_code(err, &server_code) ? "present" : "none (a command error)");
        mx_error_free(err);
    }
    mx_result_free(result);
    mx_command_free(command);
}

/* Step 7: a pool whose first server (port 1 of this host, where nothing listens) is down: its
 * sessions open on the next server, here URL. */
static void pool(const char *url, const char *user, const char *password) {
    mx_error *err = NULL;
    mx_options *options = mx_options_new();
    ok("pool url", mx_options_set_url(options, LIT("http://127.0.0.1:1/PowerShell/"), &err), &err);
    ok("pool server", mx_options_add_server(options, CSTR(url), &err), &err);
    ok("pool size", mx_options_set_pool_size(options, 2, &err), &err);
    ok("pool auth", mx_options_set_auth(options, MX_AUTH_NTLM, &err), &err);
    ok("pool username", mx_options_set_username(options, CSTR(user), &err), &err);
    ok("pool password", mx_options_set_password(options, CSTR(password), &err), &err);
    mx_pool *pool = NULL;
    mx_result_code code = mx_pool_open(options, &pool, &err);
    mx_options_free(options);
    if (!ok("mx_pool_open", code, &err)) {
        return;
    }
    mx_command *command = NULL;
    if (ok("mx_command_new", mx_command_new(LIT("Get-Mailbox"), &command, &err), &err)) {
        ok("add ResultSize", mx_command_add_string(command, LIT("ResultSize"), LIT("3"), &err),
           &err);
        for (int i = 0; i < 3; i++) {
            mx_result *result = NULL;
            if (ok("mx_pool_invoke", mx_pool_invoke(pool, command, &result, &err), &err)) {
                expect(mx_result_count(result) == 3, "the pool's Get-Mailbox returns 3 mailboxes");
                mx_result_free(result);
            }
        }
        mx_command_free(command);
    }
    mx_pool_counters stats = {0};
    uint64_t on_dead = 99, on_live = 0;
    if (ok("mx_pool_stats", mx_pool_stats(pool, &stats, &err), &err) &&
        ok("server 0", mx_pool_server_opened(pool, 0, &on_dead, &err), &err) &&
        ok("server 1", mx_pool_server_opened(pool, 1, &on_live, &err), &err)) {
        printf("[10] pool: 3 commands, %llu session(s) opened: %llu on the dead server, %llu on %s\n",
               (unsigned long long)stats.opened, (unsigned long long)on_dead,
               (unsigned long long)on_live, url);
        expect(on_dead == 0 && on_live == stats.opened && stats.opened >= 1,
               "the pool's sessions opened on the live server");
    }
    ok("mx_pool_close", mx_pool_close(pool, &err), &err);
    mx_pool_free(pool);
}

int main(int argc, char **argv) {
    if (argc != 2 && argc != 4) {
        fprintf(stderr, "usage: %s URL [USER PASSWORD]\n", argv[0]);
        return 2;
    }
    const char *url = argv[1];
    const char *user = argc == 4 ? argv[2] : "CONTOSO\\Administrator";
    const char *password = argc == 4 ? argv[3] : "P@ssw0rd!";
    if (mx_abi_version() != MX_ABI_VERSION) {
        fprintf(stderr, "library ABI %u, header ABI %u\n", mx_abi_version(), MX_ABI_VERSION);
        return 1;
    }
    printf("libmonosync_exchange %s (ABI %u)\n", mx_version(), mx_abi_version());
    mx_set_log_callback(on_log, NULL, MX_LOG_LEVEL_WARN);

    mx_error *err = NULL;
    mx_options *options = mx_options_new();
    ok("set url", mx_options_set_url(options, CSTR(url), &err), &err);
    ok("set auth", mx_options_set_auth(options, MX_AUTH_NTLM, &err), &err);
    ok("set username", mx_options_set_username(options, CSTR(user), &err), &err);
    ok("set password", mx_options_set_password(options, CSTR(password), &err), &err);
    ok("set timeout", mx_options_set_timeout_ms(options, MX_TIMEOUT_INVOKE, 60000, &err), &err);

    mx_session *session = NULL;
    mx_result_code code = mx_session_open(options, &session, &err);
    mx_options_free(options);
    if (code != MX_OK) {
        report("mx_session_open", code, err);
        return 1;
    }
    printf("[0] connected to %s as %s\n", url, user);

    char name[256] = "";
    char alias[64];
    char address[96];
    /* Unique per run, so that runs against one server do not collide. */
    snprintf(address, sizeof address, "smtp:c-example-%ld@contoso.com", (long)getpid());
    if (pick_user(session, name, sizeof name)) {
        enable_and_set(session, name, address);
    }
    new_mailbox(session, alias, sizeof alias);
    if (name[0] != '\0') {
        read_back(session, name, address);
    }
    stream_mailboxes(session);
    not_found(session);

    uint64_t wsman = 0, http = 0;
    if (ok("round trips", mx_session_round_trips(session, &wsman, &http, &err), &err)) {
        printf("[9] %llu WS-Management round trips, %llu HTTP requests\n",
               (unsigned long long)wsman, (unsigned long long)http);
    }
    ok("mx_session_close", mx_session_close(session, &err), &err);
    mx_session_free(session);
    pool(url, user, password);
    mx_set_log_callback(NULL, NULL, MX_LOG_LEVEL_OFF);

    if (failures != 0) {
        printf("%d steps did not go as expected\n", failures);
        return 1;
    }
    printf("every step went as expected\n");
    return 0;
}
