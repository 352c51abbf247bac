//! One schema for both backends: only types that SQLite and PostgreSQL share
//! (Text, BigInt, Bool, Binary). Kept by hand in step with `migrations/*/`.

diesel::table! {
    clients (id) {
        id -> Text,
        name -> Text,
        is_public -> Bool,
        secret_hash -> Nullable<Binary>,
        redirect_uris -> Text,
        post_logout_redirect_uris -> Text,
        backchannel_logout_uri -> Nullable<Text>,
        grant_types -> Text,
        scopes -> Text,
        audiences -> Text,
        default_audience -> Nullable<Text>,
        skip_consent -> Bool,
        require_pkce -> Bool,
        token_endpoint_auth_method -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    /// The `cache_versions.clients` value of each client's last change.
    client_versions (client_id) {
        client_id -> Text,
        version -> BigInt,
    }
}

diesel::table! {
    /// What a client requires beyond the defaults (algorithms, DPoP, PAR, profile).
    client_policies (client_id) {
        client_id -> Text,
        access_token_alg -> Nullable<Text>,
        id_token_alg -> Nullable<Text>,
        require_dpop -> Bool,
        require_par -> Bool,
        profile -> Nullable<Text>,
        require_acr -> Nullable<Text>,
        exchange_audiences -> Nullable<Text>,
        exchange_impersonate -> Bool,
    }
}

diesel::table! {
    /// Public keys of clients that authenticate with `private_key_jwt` (RFC 7523): a JWK
    /// set given at registration, or a `jwks_uri` whose last fetched copy is cached here.
    client_keys (client_id) {
        client_id -> Text,
        jwks -> Nullable<Text>,
        jwks_uri -> Nullable<Text>,
        fetched_at -> Nullable<BigInt>,
        updated_at -> BigInt,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        email -> Nullable<Text>,
        email_verified -> Bool,
        display_name -> Nullable<Text>,
        password_hash -> Text,
        roles -> Text,
        disabled -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
        password_changed_at -> BigInt,
    }
}

diesel::table! {
    sessions (id_hash) {
        id_hash -> Binary,
        sid -> Text,
        user_id -> Text,
        auth_time -> BigInt,
        amr -> Text,
        acr -> Nullable<Text>,
        created_at -> BigInt,
        last_seen_at -> BigInt,
        expires_at -> BigInt,
        user_agent -> Nullable<Text>,
        upstream -> Nullable<Text>,
        upstream_sub -> Nullable<Text>,
        upstream_sid -> Nullable<Text>,
    }
}

diesel::table! {
    consents (user_id, client_id) {
        user_id -> Text,
        client_id -> Text,
        scopes -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    authorization_codes (code_hash) {
        code_hash -> Binary,
        client_id -> Text,
        user_id -> Text,
        session_sid -> Nullable<Text>,
        redirect_uri -> Text,
        scope -> Text,
        nonce -> Nullable<Text>,
        code_challenge -> Nullable<Text>,
        code_challenge_method -> Nullable<Text>,
        auth_time -> BigInt,
        acr -> Nullable<Text>,
        created_at -> BigInt,
        expires_at -> BigInt,
        amr -> Nullable<Text>,
        dpop_jkt -> Nullable<Text>,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Binary,
        family_id -> Text,
        client_id -> Text,
        user_id -> Nullable<Text>,
        session_sid -> Nullable<Text>,
        scope -> Text,
        audience -> Nullable<Text>,
        auth_time -> Nullable<BigInt>,
        issued_at -> BigInt,
        expires_at -> BigInt,
        consumed_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
        amr -> Nullable<Text>,
        acr -> Nullable<Text>,
        family_expires_at -> Nullable<BigInt>,
        dpop_jkt -> Nullable<Text>,
    }
}

diesel::table! {
    redeemed_codes (code_hash) {
        code_hash -> Binary,
        client_id -> Text,
        access_jti -> Text,
        access_expires_at -> BigInt,
        refresh_family_id -> Nullable<Text>,
        expires_at -> BigInt,
    }
}

diesel::table! {
    revoked_tokens (jti) {
        jti -> Text,
        expires_at -> BigInt,
        revoked_at -> BigInt,
        seq -> BigInt,
    }
}

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        alg -> Text,
        public_jwk -> Text,
        private_key_sealed -> Nullable<Binary>,
        generation -> BigInt,
        created_at -> BigInt,
        activates_at -> BigInt,
        retires_at -> Nullable<BigInt>,
        expires_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> BigInt,
        event -> Text,
        actor -> Text,
        user_id -> Nullable<Text>,
        client_id -> Nullable<Text>,
        ip -> Nullable<Text>,
        details -> Text,
        trace_id -> Nullable<Text>,
    }
}

diesel::table! {
    cache_versions (name) {
        name -> Text,
        version -> BigInt,
    }
}

diesel::table! {
    client_assertion_jtis (client_id, jti) {
        client_id -> Text,
        jti -> Text,
        expires_at -> BigInt,
    }
}

diesel::table! {
    /// DPoP proofs seen (RFC 9449 §11.1), by SHA-256 of the key's thumbprint and `jti`.
    dpop_proof_jtis (id_hash) {
        id_hash -> Binary,
        expires_at -> BigInt,
    }
}

diesel::table! {
    /// Pushed authorization requests (RFC 9126), by SHA-256 of their `request_uri`.
    pushed_requests (uri_hash) {
        uri_hash -> Binary,
        client_id -> Text,
        params -> Text,
        dpop_jkt -> Nullable<Text>,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
        payload -> Nullable<Text>,
    }
}

diesel::table! {
    revoked_sessions (sid) {
        sid -> Text,
        expires_at -> BigInt,
        revoked_at -> BigInt,
        seq -> BigInt,
    }
}

diesel::table! {
    login_failures (key) {
        key -> Text,
        failures -> BigInt,
        previous_failure -> BigInt,
        last_failure -> BigInt,
    }
}

diesel::table! {
    revoked_clients (client_id) {
        client_id -> Text,
        not_before -> BigInt,
        expires_at -> BigInt,
        revoked_at -> BigInt,
        seq -> BigInt,
    }
}

diesel::table! {
    family_access_tokens (jti) {
        jti -> Text,
        family_id -> Text,
        expires_at -> BigInt,
    }
}

diesel::table! {
    session_clients (sid, client_id) {
        sid -> Text,
        client_id -> Text,
        user_id -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    backchannel_deliveries (id) {
        id -> Text,
        client_id -> Text,
        user_id -> Text,
        sid -> Text,
        attempts -> BigInt,
        next_attempt_at -> BigInt,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
        trace_parent -> Nullable<Text>,
        trace_state -> Nullable<Text>,
    }
}

diesel::table! {
    client_permissions (client_id, permission) {
        client_id -> Text,
        permission -> Text,
    }
}

diesel::joinable!(client_keys -> clients (client_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(consents -> users (user_id));
diesel::joinable!(consents -> clients (client_id));

diesel::allow_tables_to_appear_in_same_query!(
    clients,
    client_keys,
    users,
    sessions,
    consents,
    authorization_codes,
    refresh_tokens,
    revoked_tokens,
    signing_keys,
    audit_log,
    cache_versions,
    client_assertion_jtis,
    redeemed_codes,
    revoked_sessions,
    revoked_clients,
    login_failures,
    family_access_tokens,
    session_clients,
    backchannel_deliveries,
    client_permissions,
    client_registrations,
);

diesel::table! {
    status_lists (id) {
        id -> Text,
        capacity -> BigInt,
        allocated -> BigInt,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    status_blocks (list_id, start_idx) {
        list_id -> Text,
        start_idx -> BigInt,
        end_idx -> BigInt,
        client_id -> Text,
        reserved_at -> BigInt,
    }
}

diesel::table! {
    token_statuses (list_id, idx) {
        list_id -> Text,
        idx -> BigInt,
        jti -> Text,
        sid -> Nullable<Text>,
        expires_at -> BigInt,
    }
}

diesel::table! {
    status_ranges (list_id, start_idx, end_idx, seq) {
        list_id -> Text,
        start_idx -> BigInt,
        end_idx -> BigInt,
        seq -> BigInt,
    }
}

diesel::table! {
    user_totp (user_id) {
        user_id -> Text,
        secret_sealed -> Binary,
        confirmed_at -> Nullable<BigInt>,
        last_step -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    recovery_codes (code_hash) {
        code_hash -> Binary,
        user_id -> Text,
        created_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    passkeys (credential_id) {
        credential_id -> Text,
        user_id -> Text,
        name -> Text,
        passkey -> Text,
        user_verified -> Bool,
        synced -> Bool,
        created_at -> BigInt,
        last_used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    webauthn_ceremonies (id_hash) {
        id_hash -> Binary,
        user_id -> Nullable<Text>,
        kind -> Text,
        state -> Text,
        expires_at -> BigInt,
    }
}

diesel::table! {
    pending_sign_ins (id_hash) {
        id_hash -> Binary,
        user_id -> Text,
        factors -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        upstream -> Nullable<Text>,
        upstream_sub -> Nullable<Text>,
        upstream_sid -> Nullable<Text>,
    }
}

diesel::table! {
    exchanged_tokens (jti) {
        jti -> Text,
        parent_jti -> Text,
        list_id -> Nullable<Text>,
        idx -> Nullable<BigInt>,
        expires_at -> BigInt,
    }
}

diesel::table! {
    device_codes (device_code_hash) {
        device_code_hash -> Text,
        user_code -> Text,
        client_id -> Text,
        scope -> Text,
        status -> Text,
        user_id -> Nullable<Text>,
        session_sid -> Nullable<Text>,
        auth_time -> Nullable<BigInt>,
        acr -> Nullable<Text>,
        amr -> Nullable<Text>,
        poll_interval -> BigInt,
        last_poll_at -> Nullable<BigInt>,
        created_at -> BigInt,
        expires_at -> BigInt,
        redeemed_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// RFC 7591 §3 initial access tokens, by SHA-256.
    initial_access_tokens (id) {
        id -> Text,
        token_hash -> Binary,
        created_at -> BigInt,
        expires_at -> Nullable<BigInt>,
        max_uses -> Nullable<BigInt>,
        uses -> BigInt,
    }
}

diesel::table! {
    /// Clients that registered themselves (RFC 7591), with their RFC 7592 access token hash.
    client_registrations (client_id) {
        client_id -> Text,
        access_token_hash -> Binary,
        metadata -> Text,
        initial_token_id -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::joinable!(client_registrations -> clients (client_id));

diesel::table! {
    mail_outbox (id) {
        id -> Text,
        to_address -> Text,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        attempts -> BigInt,
        next_attempt_at -> BigInt,
        locked_until -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    action_tokens (token_hash) {
        token_hash -> Binary,
        purpose -> Text,
        user_id -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
        payload -> Nullable<Text>,
    }
}

diesel::table! {
    pending_signups (token_hash) {
        token_hash -> Binary,
        username -> Text,
        email -> Text,
        password_hash -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    upstreams (name) {
        name -> Text,
        issuer -> Text,
        client_id -> Text,
        client_secret_sealed -> Binary,
        scopes -> Text,
        claim_mapping -> Text,
        role_from_claim -> Nullable<Text>,
        link_by_verified_email -> Bool,
        userinfo -> Bool,
        metadata -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    identity_links (upstream, subject) {
        upstream -> Text,
        subject -> Text,
        user_id -> Text,
        created_at -> BigInt,
        last_used_at -> BigInt,
    }
}

diesel::table! {
    upstream_logins (state_hash) {
        state_hash -> Binary,
        upstream -> Text,
        nonce -> Text,
        verifier -> Text,
        carry_name -> Text,
        carry_value -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}
