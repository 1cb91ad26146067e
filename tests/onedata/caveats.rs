//! The Onedata caveat set through the public API: each kind's JSON, text and native forms, its
//! check (failing closed when the context lacks what it needs), the kinds each token type
//! allows, lazy `api` checks and data-access caveats. Every verification runs on a native and an
//! Onedata token, which must agree.

use std::net::IpAddr;
use std::sync::Arc;

use caveat_token::caveat::{
    Filter, GeoCountryCaveat, Gri, Interface, Operation, Service, ServiceKind,
};
use caveat_token::GroupTable;
use caveat_token::{
    Caveat, Context, Error, Expect, Format, Identifier, InviteType, Limits, Persistence, RootKey,
    Subject, Token, TokenType, VerifiedToken, Verifier,
};
use caveat_token::{GeoInfo, GeoTable, Region};

fn key() -> RootKey {
    RootKey::from_bytes(b"caveat tests").expect("key")
}

fn identifier(token_type: TokenType<'static>) -> Identifier<'static> {
    Identifier {
        location: "zone.example.com".into(),
        key_id: None,
        token_id: "t1".into(),
        subject: Subject::User("alice".into()),
        token_type,
        persistence: Persistence::Named,
    }
}

fn access() -> TokenType<'static> {
    TokenType::Access { session: None }
}

fn cav(text: &str) -> Caveat {
    Caveat::from_text(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// Verifies a token of `token_type` carrying `caveats` in both formats; the outcomes must agree.
fn check_typed(
    token_type: TokenType<'static>,
    caveats: &[Caveat],
    verifier: &Verifier,
    ctx: &Context,
) -> Result<VerifiedToken, Error> {
    let id = identifier(token_type);
    let mut results = Format::ALL.iter().map(|f| {
        let token = Token::mint_as(*f, &key(), &id, caveats).expect("mint");
        let decoded = Token::from_text(&token.to_text(), &Limits::default()).expect("decode");
        verifier.verify(decoded, &key(), ctx)
    });
    let first = results.next().expect("native");
    for other in results {
        match (&first, &other) {
            (Ok(_), Ok(_)) => {}
            (Err(a), Err(b)) => assert_eq!(a, b, "formats disagree"),
            _ => panic!("formats disagree: {first:?} vs {other:?}"),
        }
    }
    first
}

fn check(caveats: &[Caveat], verifier: &Verifier, ctx: &Context) -> Result<VerifiedToken, Error> {
    check_typed(access(), caveats, verifier, ctx)
}

fn unverified(result: Result<VerifiedToken, Error>, index: usize) {
    let err = result.expect_err("must be refused");
    assert_eq!(err.id(), "tokenCaveatUnverified", "{err}");
    assert_eq!(err.details()["index"], index, "{err}");
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("ip")
}

const NOW: u64 = 1_700_000_000;

#[test]
fn json_text_and_native_forms_agree_for_every_kind() {
    let forms = [
        (
            r#"{"type":"time","validUntil":8374891234}"#,
            "time < 8374891234",
        ),
        (
            r#"{"type":"ip","whitelist":["172.98.11.23/32"]}"#,
            "ip = 172.98.11.23/32",
        ),
        (r#"{"type":"asn","whitelist":[322,5]}"#, "asn = 322|5"),
        (
            r#"{"type":"geo.country","filter":"whitelist","list":["PL","FR"]}"#,
            "geo.country = PL|FR",
        ),
        (
            r#"{"type":"geo.country","filter":"blacklist","list":["DE"]}"#,
            "geo.country != DE",
        ),
        (
            r#"{"type":"geo.region","filter":"whitelist","list":["Asia","EU"]}"#,
            "geo.region = Asia|EU",
        ),
        (
            r#"{"type":"geo.region","filter":"blacklist","list":["NorthAmerica"]}"#,
            "geo.region != NorthAmerica",
        ),
        (
            r#"{"type":"service","whitelist":["ozw-onezone","opw-*","ozp-c1","opp-p2"]}"#,
            "service = ozw-onezone|opw-*|ozp-c1|opp-p2",
        ),
        (
            r#"{"type":"consumer","whitelist":["usr-user-id","grp-group-id","prv-*"]}"#,
            "consumer = usr-user-id|grp-group-id|prv-*",
        ),
        (
            r#"{"type":"interface","interface":"oneclient"}"#,
            "interface = oneclient",
        ),
        (
            r#"{"type":"api","whitelist":["all/all/*.*.*:*","ozw/get/user.*.instance:private","opw/update/file.f1.*,*:*"]}"#,
            "api = all/all/*.*.*:*|ozw/get/user.*.instance:private|opw/update/file.f1.*,*:*",
        ),
        (r#"{"type":"data.readonly"}"#, "data.readonly"),
        (
            r#"{"type":"data.path","whitelist":["L3NwYWNlMS9maWxlMS50eHQ=","L3NwYWNlMi9kaXIvZmlsZTIudHh0"]}"#,
            "data.path = L3NwYWNlMS9maWxlMS50eHQ=|L3NwYWNlMi9kaXIvZmlsZTIudHh0",
        ),
        (
            r#"{"type":"data.objectid","whitelist":["00000000000CDBDA677569642331323323616263"]}"#,
            "data.objectid = 00000000000CDBDA677569642331323323616263",
        ),
        (r#"{"type":"authorizationNone"}"#, "authorization = none"),
        (
            r#"{"type":"inviteType","whitelist":["userJoinSpace","supportSpace"]}"#,
            "inviteType = userJoinSpace|supportSpace",
        ),
    ];
    let mut all = Vec::new();
    for (json, text) in forms {
        let from_json = Caveat::from_json_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
        let from_text = cav(text);
        assert_eq!(from_json, from_text, "{text}");
        assert_eq!(from_json.to_text(), text);
        assert_eq!(
            from_json.to_json(),
            serde_json::from_str::<serde_json::Value>(json).expect("json")
        );
        assert_eq!(from_json.to_string(), text);
        all.push(from_json);
    }
    // Through both formats: what is read back is what was written.
    for format in Format::ALL {
        let token = Token::mint_as(*format, &key(), &identifier(access()), &all).expect("mint");
        let back = Token::from_text(&token.to_text(), &Limits::default()).expect("decode");
        let read: Vec<Caveat> = back
            .untrusted_caveats()
            .collect::<Result<_, _>>()
            .expect("caveats");
        assert_eq!(read, all, "{format:?}");
    }
    let native = Token::mint(&key(), &identifier(access()), &all).expect("mint");
    let kinds: Vec<u8> = native.caveat_bytes().map(|b| b[1]).collect();
    assert_eq!(kinds, [0, 1, 4, 5, 5, 6, 6, 7, 8, 9, 10, 11, 12, 13, 14, 2]);
}

#[test]
fn bad_values_name_the_key() {
    for (json, key) in [
        (r#"{"type":"asn","whitelist":[]}"#, "whitelist"),
        (r#"{"type":"asn","whitelist":[-1]}"#, "whitelist"),
        (r#"{"type":"asn","whitelist":[4294967296]}"#, "whitelist"),
        (r#"{"type":"asn"}"#, "whitelist"),
        (
            r#"{"type":"geo.country","filter":"greylist","list":["PL"]}"#,
            "filter",
        ),
        (
            r#"{"type":"geo.country","filter":"whitelist","list":["pl"]}"#,
            "list",
        ),
        (
            r#"{"type":"geo.country","filter":"whitelist","list":["POL"]}"#,
            "list",
        ),
        (r#"{"type":"geo.country","list":["PL"]}"#, "filter"),
        (
            r#"{"type":"geo.region","filter":"whitelist","list":["Europa"]}"#,
            "list",
        ),
        (
            r#"{"type":"geo.region","filter":"whitelist","list":[]}"#,
            "list",
        ),
        (r#"{"type":"service","whitelist":["xyz-1"]}"#, "whitelist"),
        (r#"{"type":"service","whitelist":["ozw"]}"#, "whitelist"),
        (r#"{"type":"service","whitelist":["ozw-a b"]}"#, "whitelist"),
        (r#"{"type":"consumer","whitelist":["nobody"]}"#, "whitelist"),
        (r#"{"type":"consumer","whitelist":["usr-"]}"#, "whitelist"),
        (r#"{"type":"interface","interface":"ftp"}"#, "interface"),
        (r#"{"type":"api","whitelist":["all/all/*.*.*"]}"#, "gri"),
        (
            r#"{"type":"api","whitelist":["all/read/*.*.*:*"]}"#,
            "whitelist",
        ),
        (r#"{"type":"data.path","whitelist":["L3Mx/"]}"#, "whitelist"),
        (r#"{"type":"data.path","whitelist":["Lw=="]}"#, "whitelist"),
        (
            r#"{"type":"data.objectid","whitelist":["nothex"]}"#,
            "whitelist",
        ),
        (r#"{"type":"data.readonly","extra":1}"#, "extra"),
        (r#"{"type":"authorizationNone","value":"none"}"#, "value"),
    ] {
        let err = Caveat::from_json_str(json).expect_err(json);
        assert_eq!(err.id(), "badValueCaveat", "{json}");
        assert_eq!(err.details()["key"], key, "{json}");
    }
    let too_many = (0..65).map(|n| n.to_string()).collect::<Vec<_>>().join("|");
    assert!(Caveat::from_text(&format!("asn = {too_many}")).is_err());
}

fn geo() -> GeoTable {
    GeoTable::new()
        .with(
            "10.0.0.0/8".parse().expect("net"),
            GeoInfo {
                asn: Some(322),
                country: Some("PL".into()),
                regions: vec![Region::Europe, Region::Eu],
            },
        )
        .with(
            "20.0.0.0/8".parse().expect("net"),
            GeoInfo {
                asn: Some(7),
                country: Some("US".into()),
                regions: vec![Region::NorthAmerica],
            },
        )
}

#[test]
fn asn_and_geo_caveats_look_the_address_up_and_fail_closed() {
    let with_geo = Verifier::new().with_geo_source(Arc::new(geo()));
    let none = Verifier::new();
    let poland = Context::at(NOW).with_ip(ip("10.1.2.3"));
    let usa = Context::at(NOW).with_ip(ip("20.1.2.3"));
    let nowhere = Context::at(NOW).with_ip(ip("192.0.2.1"));
    let no_ip = Context::at(NOW);
    for (caveat, holds_in_poland, holds_in_usa) in [
        ("asn = 322", true, false),
        ("asn = 1|7", false, true),
        ("geo.country = PL|FR", true, false),
        ("geo.country != PL", false, true),
        ("geo.region = EU", true, false),
        ("geo.region = Asia|NorthAmerica", false, true),
        ("geo.region != Europe", false, true),
        ("geo.region != Africa|Oceania", true, true),
    ] {
        let c = [cav(caveat)];
        assert_eq!(
            check(&c, &with_geo, &poland).is_ok(),
            holds_in_poland,
            "{caveat}"
        );
        assert_eq!(check(&c, &with_geo, &usa).is_ok(), holds_in_usa, "{caveat}");
        // Unlocated address, no address, or no source: refused, blacklists included.
        unverified(check(&c, &with_geo, &nowhere), 0);
        unverified(check(&c, &with_geo, &no_ip), 0);
        unverified(check(&c, &none, &poland), 0);
    }
    // IPv4-mapped IPv6 addresses are looked up as IPv4.
    let mapped = Context::at(NOW).with_ip(ip("::ffff:10.9.9.9"));
    check(&[cav("asn = 322")], &with_geo, &mapped).expect("mapped address");
    let c = GeoCountryCaveat::new(Filter::Blacklist, vec!["PL".into()]).expect("caveat");
    assert!(!c.holds(None));
    assert!(c.holds(Some("DE")));
}

#[test]
fn service_caveats_match_kind_and_id_with_wildcards() {
    let v = Verifier::new();
    let c = [cav("service = ozw-onezone|opw-*")];
    let at = |s: &str| Context::at(NOW).with_service(Service::parse(s).expect("service"));
    check(&c, &v, &at("ozw-onezone")).expect("onezone");
    check(&c, &v, &at("opw-p1")).expect("any op-worker");
    unverified(check(&c, &v, &at("ozw-otherzone")), 0);
    unverified(check(&c, &v, &at("opp-p1")), 0);
    unverified(check(&c, &v, &at("ozp-onezone")), 0);
    unverified(check(&c, &v, &Context::at(NOW)), 0);
    assert_eq!(ServiceKind::from_code("opw"), Some(ServiceKind::OpWorker));
}

#[test]
fn consumer_caveats_admit_users_providers_and_group_members() {
    let mut groups = GroupTable::new();
    let alice = Subject::parse("usr-alice").expect("subject");
    groups.add("admins", &alice);
    let with_groups = Verifier::new().with_group_membership(Arc::new(groups));
    let without = Verifier::new();
    let as_ = |s: &str| Context::at(NOW).with_consumer(Subject::parse(s).expect("subject"));
    let c = [cav("consumer = usr-bob|grp-admins|prv-*")];
    check(&c, &without, &as_("usr-bob")).expect("listed user");
    check(&c, &without, &as_("prv-p7")).expect("any provider");
    check(&c, &with_groups, &as_("usr-alice")).expect("group member");
    unverified(check(&c, &without, &as_("usr-alice")), 0);
    unverified(check(&c, &with_groups, &as_("usr-carol")), 0);
    unverified(check(&c, &with_groups, &Context::at(NOW)), 0);
    let any_user = [cav("consumer = usr-*")];
    check(&any_user, &without, &as_("usr-zed")).expect("any user");
    unverified(check(&any_user, &without, &as_("prv-zed")), 0);
    // `grp-*` is accepted but admits nobody, even a member of every group.
    unverified(
        check(&[cav("consumer = grp-*")], &with_groups, &as_("usr-alice")),
        0,
    );
}

#[test]
fn interface_caveats_need_the_interface() {
    let v = Verifier::new();
    let c = [cav("interface = rest")];
    check(&c, &v, &Context::at(NOW).with_interface(Interface::Rest)).expect("rest");
    unverified(
        check(
            &c,
            &v,
            &Context::at(NOW).with_interface(Interface::Graphsync),
        ),
        0,
    );
    unverified(check(&c, &v, &Context::at(NOW)), 0);
    assert_eq!(
        Interface::parse("oneclient").expect("i"),
        Interface::Oneclient
    );
}

#[test]
fn api_caveats_are_checked_per_operation() {
    let v = Verifier::new();
    let caveats = [
        cav("api = ozw/all/space.*.*:*|all/get/user.*.instance:*"),
        cav("api = all/all/*.*.*:*"),
        cav("api = ozw/get/*.*.*:*|ozw/create/space.s1.*:*"),
    ];
    // Lazy: verification passes whatever the operation will be.
    let ok = check(&caveats, &v, &Context::at(NOW)).expect("verifies");
    let gri = |s: &str| Gri::parse(s).expect("gri");
    ok.check_api(
        ServiceKind::OzWorker,
        Operation::Get,
        &gri("space.s1.instance:private"),
    )
    .expect("allowed by all three");
    ok.check_api(
        ServiceKind::OzWorker,
        Operation::Create,
        &gri("space.s1.users:private"),
    )
    .expect("allowed by all three");
    let denied = |svc, op, g: &str, index: usize| {
        let err = ok.check_api(svc, op, &gri(g)).expect_err(g);
        assert_eq!(err.id(), "tokenCaveatUnverified");
        assert_eq!(err.details()["index"], index);
        assert_eq!(err.details()["caveat"]["type"], "api");
    };
    denied(
        ServiceKind::OzWorker,
        Operation::Create,
        "space.s2.users:private",
        2,
    );
    denied(
        ServiceKind::OpWorker,
        Operation::Get,
        "user.u1.instance:private",
        2,
    );
    denied(
        ServiceKind::OzWorker,
        Operation::Delete,
        "user.u1.instance:private",
        0,
    );
    // No api caveat: every operation is allowed.
    let free = check(&[], &v, &Context::at(NOW)).expect("verifies");
    free.check_api(
        ServiceKind::OpPanel,
        Operation::Delete,
        &gri("file.f.content:private"),
    )
    .expect("unrestricted");
}

#[test]
fn data_access_caveats_need_the_verifiers_permission_and_are_exposed() {
    let caveats = [
        cav("data.readonly"),
        cav("data.path = L3NwYWNlMS9kaXI=|L3NwYWNlMg=="),
        cav("data.path = L3NwYWNlMS9kaXIvc3Vi"),
        cav("data.objectid = 00AB|00CD"),
    ];
    for c in &caveats {
        unverified(
            check(std::slice::from_ref(c), &Verifier::new(), &Context::at(NOW)),
            0,
        );
    }
    let allowing = Verifier::new().with_data_access_caveats(true);
    let ok = check(&caveats, &allowing, &Context::at(NOW)).expect("allowed");
    let data = ok.data_access();
    assert!(data.is_restricted());
    assert!(data.is_readonly());
    assert!(!data.allows_write());
    assert_eq!(
        data.paths()[0].whitelist(),
        ["/space1/dir".to_owned(), "/space2".to_owned()]
    );
    // Both path caveats must allow a path.
    assert!(data.allows_path("/space1/dir/sub/file"));
    assert!(!data.allows_path("/space1/dir/other"));
    assert!(!data.allows_path("/space2/x"));
    assert!(!data.allows_path("/space1/dir/sub/../../x"));
    assert!(data.allows_object(&["00ff", "00cd"]));
    assert!(!data.allows_object(&["00ff"]));
    let plain = check(&[], &allowing, &Context::at(NOW)).expect("ok");
    assert!(!plain.data_access().is_restricted());
    assert!(plain.data_access().allows_path("/any/path"));
}

#[test]
fn authorization_none_never_holds() {
    let everything = Verifier::new().with_data_access_caveats(true);
    for ty in [access(), TokenType::Identity] {
        unverified(
            check_typed(
                ty,
                &[cav("authorization = none")],
                &everything,
                &Context::at(NOW),
            ),
            0,
        );
    }
}

#[test]
fn invite_type_caveats_use_the_requested_or_expected_invite_type() {
    let v = Verifier::new();
    let invite = TokenType::Invite {
        invite_type: InviteType::UserJoinSpace,
        target: "s1".into(),
        params: "".into(),
    };
    let c = [cav("inviteType = userJoinSpace")];
    check_typed(
        invite.clone(),
        &c,
        &v,
        &Context::at(NOW).expecting(Expect::Invite(Some(InviteType::UserJoinSpace))),
    )
    .expect("expected type stands for the requested one");
    check_typed(
        invite.clone(),
        &c,
        &v,
        &Context::at(NOW).with_invite_type(InviteType::UserJoinSpace),
    )
    .expect("requested type");
    unverified(check_typed(invite.clone(), &c, &v, &Context::at(NOW)), 0);
    unverified(
        check_typed(
            invite,
            &c,
            &v,
            &Context::at(NOW).with_invite_type(InviteType::GroupJoinSpace),
        ),
        0,
    );
}

#[test]
fn each_token_type_allows_only_its_caveat_kinds() {
    let geo_v = Verifier::new()
        .with_geo_source(Arc::new(geo()))
        .with_data_access_caveats(true)
        .with_predicate("example.com/x", |v, _| v == "1");
    let ctx = Context::at(NOW)
        .with_ip(ip("10.1.1.1"))
        .with_service(Service::parse("ozw-onezone").expect("s"))
        .with_consumer(Subject::parse("usr-bob").expect("c"))
        .with_interface(Interface::Rest)
        .with_invite_type(InviteType::UserJoinGroup);
    let all = [
        ("time < 8374891234", true, true, true),
        ("ip = 10.0.0.0/8", true, true, true),
        ("asn = 322", true, true, true),
        ("geo.country = PL", true, true, true),
        ("geo.region = EU", true, true, true),
        ("consumer = usr-bob", true, true, true),
        ("example.com/x = 1", true, true, true),
        ("interface = rest", true, true, false),
        ("service = ozw-onezone", true, false, false),
        ("api = all/all/*.*.*:*", true, false, false),
        ("data.readonly", true, false, false),
        ("data.path = L3Mx", true, false, false),
        ("data.objectid = 00", true, false, false),
        ("inviteType = userJoinGroup", true, false, true),
        ("authorization = none", false, false, false),
    ];
    let invite = TokenType::Invite {
        invite_type: InviteType::UserJoinGroup,
        target: "g1".into(),
        params: "".into(),
    };
    for (text, in_access, in_identity, in_invite) in all {
        let c = [cav(text)];
        for (ty, allowed) in [
            (access(), in_access),
            (TokenType::Identity, in_identity),
            (invite.clone(), in_invite),
        ] {
            let r = check_typed(ty.clone(), &c, &geo_v, &ctx);
            if allowed {
                r.unwrap_or_else(|e| panic!("{text} in {ty:?}: {e}"));
            } else {
                unverified(r, 0);
            }
        }
    }
}

#[test]
fn every_caveat_must_hold_and_the_first_failure_is_named() {
    let v = Verifier::new().with_geo_source(Arc::new(geo()));
    let caveats = [
        cav("time < 8374891234"),
        cav("ip = 10.0.0.0/8"),
        cav("asn = 322"),
        cav("interface = graphsync"),
        cav("geo.country = US"),
    ];
    let ctx = Context::at(NOW).with_ip(ip("10.1.1.1"));
    let err = check(&caveats, &v, &ctx).expect_err("interface missing");
    assert_eq!(err.details()["index"], 3);
    assert_eq!(
        err.details()["caveat"],
        serde_json::json!({"type": "interface", "interface": "graphsync"})
    );
    let err = check(&caveats, &v, &ctx.with_interface(Interface::Graphsync)).expect_err("US");
    assert_eq!(err.details()["index"], 4);
}

/// Each kind of data-access caveat restricts on its own.
#[test]
fn any_one_data_access_caveat_makes_access_restricted() {
    use caveat_token::caveat::{DataObjectIdCaveat, DataPathCaveat};
    use caveat_token::DataAccess;
    let path = DataPathCaveat::new(vec!["/space1/dir".to_owned()]).expect("path");
    let object = DataObjectIdCaveat::new(vec!["0000000000ABCDEF".to_owned()]).expect("object id");
    assert!(!DataAccess::default().is_restricted());
    assert!(DataAccess::default().allows_write());
    let verifier = Verifier::new().with_data_access_caveats(true);
    let cases = [
        cav("data.readonly"),
        Caveat::DataPath(path),
        Caveat::DataObjectId(object),
    ];
    for caveat in cases {
        let access = check(&[caveat], &verifier, &Context::at(NOW))
            .expect("verifies")
            .data_access();
        assert!(access.is_restricted(), "{access:?}");
        // Only `data.readonly` forbids writes.
        assert_eq!(access.allows_write(), !access.is_readonly(), "{access:?}");
    }
}
