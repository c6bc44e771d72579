/*
 * provision: the provisioning flow of docs/c.md, through libmonosync_exchange, the way a C
 * host runs it.
 *
 *   provision URL [USER PASSWORD]
 *
 * Connects with NTLM and runs the flow twice: enable a mailbox for a user that has none, set
 * its properties, create a distribution group unless it exists (NotFound), add the mailbox to
 * it (AlreadyExists on the second run): the second run changes nothing. Then creates a second
 * mailbox with a password (sent as a SecureString), reads the first back, streams every
 * mailbox, shows the two shapes a NotFound takes (a record of the error stream, and a failed
 * call under -ErrorAction Stop), cancels a command from another thread, closes, runs a command
 * into a 1 ms time limit, and last runs a pool of two sessions whose first server is down.
 * Every handle is freed, so the program runs clean under valgrind. Exits 0 when every step
 * behaved as expected.
 */
#include <pthread.h>
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

// region: logging
/* Receives the library's log events (installed with mx_set_log_callback in main). It runs on
 * any thread, the library's I/O threads included, possibly on several at once: it must be
 * quick and must not call session functions. Secrets are never logged. */
static void on_log(void *userdata, uint32_t level, mx_str target, mx_str message) {
    (void)userdata;
    fprintf(stderr, "[log %u] %.*s: %.*s\n", level, STR(target), STR(message));
}
// endregion

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

// region: stream
/* The streaming callback's state: it counts the mailboxes and looks for one by name. */
struct stream_state {
    const char *wanted;
    int objects;
    int records;
    int found;
};

/* Called once per item as it arrives, on the thread that called
 * mx_session_invoke_streaming. The object or record is only valid during the call. */
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
    mx_str name;
    if (mx_object_property_string(object, LIT("Name"), &name, NULL) == MX_OK &&
        name.len == strlen(state->wanted) && memcmp(name.data, state->wanted, name.len) == 0) {
        state->found = 1;
    }
    /* Non-zero would stop the command on the server; 0 reads on. */
    return 0;
}

/* Reads every mailbox as it arrives: the library never holds the whole list. */
static void stream_mailboxes(const mx_session *session, const char *wanted) {
    mx_command *command = NULL;
    mx_error *err = NULL;
    struct stream_state state = {wanted, 0, 0, 0};
    if (!ok("mx_command_new", mx_command_new(LIT("Get-Mailbox"), &command, &err), &err)) {
        return;
    }
    /* Explicit: Exchange's default stops at 1000 with a warning. */
    ok("add ResultSize", mx_command_add_string(command, LIT("ResultSize"), LIT("Unlimited"), &err),
       &err);
    ok("mx_session_invoke_streaming",
       mx_session_invoke_streaming(session, command, on_item, &state, &err), &err);
    mx_command_free(command);
    printf("[6] Get-Mailbox -ResultSize Unlimited, streamed: %d mailboxes, %d records\n",
           state.objects, state.records);
    expect(state.objects > 100, "every mailbox streamed");
    expect(state.found, "the enabled mailbox is among them");
}
// endregion

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

// region: errors
/* Exchange reports most failures as non-terminating error records: the call succeeds and the
 * result holds them. The kind of the first one, or MX_OK when there is none. */
static mx_result_code first_error(const mx_result *result) {
    if (mx_result_record_count(result, MX_STREAM_ERROR) == 0) {
        return MX_OK;
    }
    const mx_record *record = mx_result_record(result, MX_STREAM_ERROR, 0);
    mx_str message = mx_record_message(record);
    mx_result_code kind = mx_record_error_kind(record);
    printf("    error record, kind %s: %.*s\n", mx_result_code_name(kind), STR(message));
    return kind;
}
// endregion

// region: enable
/* Enables a mailbox for `name`: 1 when it did, 0 when the user had one already, -1 on
 * failure. */
static int enable_mailbox(const mx_session *session, const char *name) {
    mx_command *command = NULL;
    mx_error *err = NULL;
    int changed = -1;
    if (!ok("mx_command_new", mx_command_new(LIT("Enable-Mailbox"), &command, &err), &err)) {
        return -1;
    }
    ok("add Identity", mx_command_add_string(command, LIT("Identity"), CSTR(name), &err), &err);
    mx_result *result = run(session, command, "Enable-Mailbox");
    if (result != NULL) {
        mx_result_code kind = first_error(result);
        changed = kind == MX_OK ? 1 : kind == MX_ALREADY_EXISTS ? 0 : -1;
        mx_result_free(result);
    }
    mx_command_free(command);
    return changed;
}
// endregion

// region: set
/* Sets the mailbox's properties: a string, a bool and a hashtable in JSON
 * ({"Add": [...]} is PowerShell's @{Add=...}). Setting them again changes nothing. */
static int set_properties(const mx_session *session, const char *name, const char *address) {
    mx_command *command = NULL;
    mx_error *err = NULL;
    char json[160];
    int done = 0;
    snprintf(json, sizeof json, "{\"Add\": [\"%s\"]}", address);
    if (!ok("mx_command_new", mx_command_new(LIT("Set-Mailbox"), &command, &err), &err)) {
        return 0;
    }
    ok("add Identity", mx_command_add_string(command, LIT("Identity"), CSTR(name), &err), &err);
    ok("add Office", mx_command_add_string(command, LIT("Office"), LIT("HQ-C"), &err), &err);
    ok("add CustomAttribute1",
       mx_command_add_string(command, LIT("CustomAttribute1"), LIT("provisioned-from-c"), &err),
       &err);
    ok("add HiddenFromAddressListsEnabled",
       mx_command_add_bool(command, LIT("HiddenFromAddressListsEnabled"), false, &err), &err);
    ok("add EmailAddresses", mx_command_add_json(command, LIT("EmailAddresses"), CSTR(json), &err),
       &err);
    mx_result *result = run(session, command, "Set-Mailbox");
    if (result != NULL) {
        done = first_error(result) == MX_OK;
        mx_result_free(result);
    }
    mx_command_free(command);
    return done;
}
// endregion

// region: group
/* Creates the group unless it exists: 1 when it did, 0 when it existed, -1 on failure.
 * -ErrorAction Stop turns Exchange's "not found" into a failed call with MX_NOT_FOUND. */
static int ensure_group(const mx_session *session, const char *group) {
    mx_command *command = NULL;
    mx_error *err = NULL;
    mx_result *result = NULL;
    int changed = -1;
    if (!ok("mx_command_new", mx_command_new(LIT("Get-DistributionGroup"), &command, &err), &err)) {
        return -1;
    }
    ok("add Identity", mx_command_add_string(command, LIT("Identity"), CSTR(group), &err), &err);
    ok("add ErrorAction", mx_command_add_string(command, LIT("ErrorAction"), LIT("Stop"), &err),
       &err);
    mx_result_code code = mx_session_invoke(session, command, &result, &err);
    mx_command_free(command);
    if (code == MX_OK) {
        mx_result_free(result);
        return 0;
    }
    if (code != MX_NOT_FOUND) {
        report("Get-DistributionGroup", code, err);
        return -1;
    }
    mx_error_free(err);
    err = NULL;
    if (!ok("mx_command_new", mx_command_new(LIT("New-DistributionGroup"), &command, &err), &err)) {
        return -1;
    }
    ok("add Name", mx_command_add_string(command, LIT("Name"), CSTR(group), &err), &err);
    result = run(session, command, "New-DistributionGroup");
    if (result != NULL) {
        changed = first_error(result) == MX_OK ? 1 : -1;
        mx_result_free(result);
    }
    mx_command_free(command);
    return changed;
}

/* Adds `member` to `group`: 1 when it did, 0 when it was a member already, -1 on failure. */
static int add_member(const mx_session *session, const char *group, const char *member) {
    mx_command *command = NULL;
    mx_error *err = NULL;
    int changed = -1;
    if (!ok("mx_command_new", mx_command_new(LIT("Add-DistributionGroupMember"), &command, &err),
            &err)) {
        return -1;
    }
    ok("add Identity", mx_command_add_string(command, LIT("Identity"), CSTR(group), &err), &err);
    ok("add Member", mx_command_add_string(command, LIT("Member"), CSTR(member), &err), &err);
    mx_result *result = run(session, command, "Add-DistributionGroupMember");
    if (result != NULL) {
        mx_result_code kind = first_error(result);
        changed = kind == MX_OK ? 1 : kind == MX_ALREADY_EXISTS ? 0 : -1;
        mx_result_free(result);
    }
    mx_command_free(command);
    return changed;
}
// endregion

// region: provision
/* The flow's steps, each idempotent: run again, it finds its work done. Writes what each
 * changed (1), found done (0) or failed (-1): enabled, created, added. */
static void provision(const mx_session *session, const char *name, const char *group,
                      const char *address, int changed[3]) {
    changed[0] = enable_mailbox(session, name);
    if (!set_properties(session, name, address)) {
        changed[0] = -1;
    }
    changed[1] = ensure_group(session, group);
    changed[2] = add_member(session, group, name);
}
// endregion

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

// region: cancel
/* Cancelling from another thread. The watchdog stands for whatever decides that a command
 * must stop (a user, a shutdown): here it waits until the first mailbox has arrived, then
 * calls mx_session_cancel, which any thread may call at any time and which never blocks. */
struct canceller {
    const mx_session *session;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int first_seen;
    int cancelled;
};

static void *watchdog(void *arg) {
    struct canceller *c = arg;
    pthread_mutex_lock(&c->lock);
    while (!c->first_seen) {
        pthread_cond_wait(&c->changed, &c->lock);
    }
    mx_session_cancel(c->session);
    c->cancelled = 1;
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/* Wakes the watchdog at the first mailbox and waits until it has cancelled. */
static int on_item_then_wait(void *userdata, uint32_t stream, const mx_object *object,
                             const mx_record *record) {
    struct canceller *c = userdata;
    (void)object;
    (void)record;
    if (stream == MX_STREAM_OUTPUT) {
        pthread_mutex_lock(&c->lock);
        c->first_seen = 1;
        pthread_cond_broadcast(&c->changed);
        while (!c->cancelled) {
            pthread_cond_wait(&c->changed, &c->lock);
        }
        pthread_mutex_unlock(&c->lock);
    }
    return 0;
}

/* The running call stops the command on the server and fails with MX_CANCELLED. */
static void cancel_from_another_thread(const mx_session *session) {
    struct canceller c = {session, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    mx_command *command = NULL;
    mx_error *err = NULL;
    pthread_t thread;
    if (!ok("mx_command_new", mx_command_new(LIT("Get-Mailbox"), &command, &err), &err)) {
        return;
    }
    ok("add ResultSize", mx_command_add_string(command, LIT("ResultSize"), LIT("Unlimited"), &err),
       &err);
    if (pthread_create(&thread, NULL, watchdog, &c) != 0) {
        expect(0, "a watchdog thread");
        mx_command_free(command);
        return;
    }
    mx_result_code code =
        mx_session_invoke_streaming(session, command, on_item_then_wait, &c, &err);
    pthread_join(thread, NULL);
    mx_command_free(command);
    printf("[9] cancelled from another thread: %s\n", mx_result_code_name(code));
    expect(code == MX_CANCELLED, "the streaming call fails with MX_CANCELLED");
    if (code != MX_OK) {
        mx_error_free(err);
    }
}
// endregion

// region: timeout
/* A session whose commands may take 1 ms (MX_TIMEOUT_INVOKE): reading every mailbox takes
 * longer, so the command is stopped on the server and the call fails with MX_TIMEOUT. */
static void time_limit(const char *url, const char *user, const char *password) {
    mx_error *err = NULL;
    mx_options *options = mx_options_new();
    ok("set url", mx_options_set_url(options, CSTR(url), &err), &err);
    ok("set auth", mx_options_set_auth(options, MX_AUTH_NTLM, &err), &err);
    ok("set username", mx_options_set_username(options, CSTR(user), &err), &err);
    ok("set password", mx_options_set_password(options, CSTR(password), &err), &err);
    ok("set timeout", mx_options_set_timeout_ms(options, MX_TIMEOUT_INVOKE, 1, &err), &err);
    mx_session *session = NULL;
    mx_result_code code = mx_session_open(options, &session, &err);
    mx_options_free(options);
    if (!ok("mx_session_open", code, &err)) {
        return;
    }
    mx_command *command = NULL;
    if (ok("mx_command_new", mx_command_new(LIT("Get-Mailbox"), &command, &err), &err)) {
        ok("add ResultSize",
           mx_command_add_string(command, LIT("ResultSize"), LIT("Unlimited"), &err), &err);
        mx_result *result = NULL;
        code = mx_session_invoke(session, command, &result, &err);
        printf("[11] with a 1 ms limit: %s\n", mx_result_code_name(code));
        expect(code == MX_TIMEOUT, "the call fails with MX_TIMEOUT");
        if (code == MX_OK) {
            mx_result_free(result);
        } else {
            mx_error_free(err);
            err = NULL;
        }
        mx_command_free(command);
    }
    ok("mx_session_close", mx_session_close(session, &err), &err);
    mx_session_free(session);
}
// endregion

// region: pool
/* A pool whose first server (port 1 of this host, where nothing listens) is down: its
 * sessions open on the next server, here URL. Any thread may call mx_pool_invoke; the pool
 * runs as many commands at once as it holds sessions. */
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
        printf("[12] pool: 3 commands, %llu session(s) opened: %llu on the dead server, %llu on %s\n",
               (unsigned long long)stats.opened, (unsigned long long)on_dead,
               (unsigned long long)on_live, url);
        expect(on_dead == 0 && on_live == stats.opened && stats.opened >= 1,
               "the pool's sessions opened on the live server");
    }
    ok("mx_pool_close", mx_pool_close(pool, &err), &err);
    mx_pool_free(pool);
}
// endregion

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
    // region: connect
    /* Warnings and errors to on_log, from any thread; one callback per process. */
    mx_set_log_callback(on_log, NULL, MX_LOG_LEVEL_WARN);

    mx_error *err = NULL;
    mx_options *options = mx_options_new();
    ok("set url", mx_options_set_url(options, CSTR(url), &err), &err);
    ok("set auth", mx_options_set_auth(options, MX_AUTH_NTLM, &err), &err);
    ok("set username", mx_options_set_username(options, CSTR(user), &err), &err);
    ok("set password", mx_options_set_password(options, CSTR(password), &err), &err);
    ok("set connect timeout",
       mx_options_set_timeout_ms(options, MX_TIMEOUT_CONNECT, 10000, &err), &err);
    ok("set invoke timeout",
       mx_options_set_timeout_ms(options, MX_TIMEOUT_INVOKE, 120000, &err), &err);

    mx_session *session = NULL;
    mx_result_code code = mx_session_open(options, &session, &err);
    mx_options_free(options); /* the session keeps its own copy */
    if (code != MX_OK) {
        report("mx_session_open", code, err);
        return 1;
    }
    // endregion
    printf("[0] connected to %s as %s\n", url, user);

    char name[256] = "";
    char alias[64];
    char address[96];
    char group[64];
    /* Unique per run, so that runs against one server do not collide. */
    snprintf(address, sizeof address, "smtp:c-example-%ld@contoso.com", (long)getpid());
    snprintf(group, sizeof group, "c-example-group-%ld", (long)getpid());
    if (pick_user(session, name, sizeof name)) {
        int first[3], again[3];
        provision(session, name, group, address, first);
        provision(session, name, group, address, again);
        printf("[2] first run:  enabled %d, group created %d, member added %d\n", first[0],
               first[1], first[2]);
        printf("[3] second run: enabled %d, group created %d, member added %d\n", again[0],
               again[1], again[2]);
        expect(first[0] == 1 && first[1] == 1 && first[2] == 1, "the first run does every step");
        expect(again[0] == 0 && again[1] == 0 && again[2] == 0, "the second run changes nothing");
    }
    new_mailbox(session, alias, sizeof alias);
    if (name[0] != '\0') {
        read_back(session, name, address);
        stream_mailboxes(session, name);
    }
    not_found(session);
    cancel_from_another_thread(session);

    uint64_t wsman = 0, http = 0;
    if (ok("round trips", mx_session_round_trips(session, &wsman, &http, &err), &err)) {
        printf("[10] %llu WS-Management round trips, %llu HTTP requests\n",
               (unsigned long long)wsman, (unsigned long long)http);
    }
    // region: close
    ok("mx_session_close", mx_session_close(session, &err), &err);
    mx_session_free(session);
    // endregion
    time_limit(url, user, password);
    pool(url, user, password);
    mx_set_log_callback(NULL, NULL, MX_LOG_LEVEL_OFF);

    if (failures != 0) {
        printf("%d steps did not go as expected\n", failures);
        return 1;
    }
    printf("every step went as expected\n");
    return 0;
}
