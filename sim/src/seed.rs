//! Ready-made worlds: a small hand-written one for the app's demo mode ([`World::demo`]) and
//! generated ones of any size, deterministic from a seed ([`World::seeded`]).

use crate::model::{
    AlertStatus, HookOwner, Id, Member, Owner, Source, UserKind, Visibility, access,
};
use crate::rng::Rng;
use crate::tokens;
use crate::world::World;
use chrono::Duration;

/// What [`World::seeded`] generates.
///
/// Besides the counts below, every seeded world has the administrator `root` (id 1), the main
/// user `crawler-admin` (id 2) who owns the [well-known tokens](crate::tokens), and a first
/// top-level group that every generated person belongs to (a company organisation) and that
/// the main user owns. The main user is Maintainer, Developer, Reporter or Guest of other
/// top-level groups in turn, has direct roles on some projects outside them, a personal
/// project, and access to archived projects. Read the resulting numbers from the world
/// (e.g. [`World::project_roles`], [`World::visible_projects`]).
#[derive(Clone, Debug)]
pub struct WorldSpec {
    /// Seed: the same spec always gives the same world.
    pub seed: u64,
    /// Number of projects.
    pub projects: usize,
    /// Number of groups, subgroups included (at least 1 is made).
    pub groups: usize,
    /// Number of users, `root` and `crawler-admin` included (at least 2 are made).
    pub users: usize,
    /// Share of projects that are archived (0.0–1.0).
    pub archived_share: f64,
    /// Share of users that are project bots (capped at one per project).
    pub bot_share: f64,
    /// Share of people that are blocked.
    pub blocked_share: f64,
}

impl Default for WorldSpec {
    fn default() -> WorldSpec {
        WorldSpec {
            seed: 1,
            projects: 100,
            groups: 10,
            users: 50,
            archived_share: 0.1,
            bot_share: 0.02,
            blocked_share: 0.03,
        }
    }
}

/// A demo group: name, path, parent path, visibility, plan (`""` = inherited), main user's role.
type GroupRow = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Visibility,
    &'static str,
    Option<u8>,
);

const FIRST: &[&str] = &[
    "alice", "bruno", "chen", "dana", "emeka", "fatima", "gustav", "hana", "ivan", "julia", "kofi",
    "lena", "marco", "nina", "omar", "priya", "quentin", "rosa", "sven", "tara", "umar", "vera",
    "wen", "yusuf", "zoe",
];
const LAST: &[&str] = &[
    "martin", "silva", "wei", "kowalski", "obi", "zahra", "berg", "sato", "petrov", "rossi",
    "mensah", "fischer", "bianchi", "horvat", "haddad", "nair", "dubois", "garcia", "larsen",
    "oconnor", "farooq", "novak", "li", "demir",
];
const WORDS: &[&str] = &[
    "atlas", "beacon", "cobalt", "delta", "ember", "falcon", "granite", "harbor", "iris",
    "juniper", "kepler", "lumen", "meridian", "nova", "onyx", "prism", "quartz", "raven", "summit",
    "titan", "umbra", "vertex", "willow", "xenon", "zephyr",
];
const THINGS: &[&str] = &[
    "api",
    "service",
    "frontend",
    "backend",
    "worker",
    "docs",
    "sdk",
    "cli",
    "infra",
    "pipeline",
    "gateway",
    "portal",
    "scheduler",
    "indexer",
    "search",
    "auth",
    "billing",
    "monitor",
];
const TOPICS: &[&str] = &[
    "rust",
    "python",
    "go",
    "typescript",
    "infrastructure",
    "docs",
    "ml",
];
const JOBS: &[&str] = &[
    "",
    "",
    "Software Engineer",
    "SRE",
    "Product Manager",
    "Designer",
    "",
];

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Adds `root` (administrator) and `crawler-admin` (the main user); returns their ids.
fn add_fixed_users(w: &mut World) -> (Id, Id) {
    let created = w.created();
    let admin = w.add_user(tokens::ADMIN_USER, "Administrator");
    let main = w.add_user(tokens::MAIN_USER, "Crawler Admin");
    let a = w.user_mut(admin).expect("just added");
    a.is_admin = true;
    a.email = "admin@example.com".into();
    a.created_at = created - Duration::days(2000);
    let m = w.user_mut(main).expect("just added");
    m.email = "crawler-admin@example.com".into();
    m.public_email = "crawler-admin@example.com".into();
    m.job_title = "Search Platform".into();
    m.created_at = created - Duration::days(900);
    (admin, main)
}

impl World {
    /// A deterministic generated world; see [`WorldSpec`] for what it contains. Fast: 100,000
    /// users take well under a second.
    pub fn seeded(spec: WorldSpec) -> World {
        let mut w = World::empty();
        let mut rng = Rng::new(spec.seed);
        let now = w.created();
        let (admin, main) = add_fixed_users(&mut w);

        // Groups: the first is the organisation; later ones nest under earlier ones (≤ 4 deep).
        let n_groups = spec.groups.max(1);
        let mut groups: Vec<(Id, usize)> = Vec::with_capacity(n_groups);
        let mut tops: Vec<Id> = Vec::new();
        for i in 0..n_groups {
            let word = WORDS[i % WORDS.len()];
            let (name, path) = (
                format!("{} {}", capitalize(word), i + 1),
                format!("{word}-{}", i + 1),
            );
            let nested: Vec<&(Id, usize)> = groups.iter().filter(|(_, d)| *d < 3).collect();
            let parent = if i == 0 || nested.is_empty() || rng.chance(0.35) {
                None
            } else {
                Some(*rng.pick(&nested).to_owned())
            };
            let id = w.add_group(&name, &path, parent.map(|p| p.0));
            let g = w.group_mut(id).expect("just added");
            g.created_at = now - Duration::days(1500 - (i as i64 % 1400));
            g.description = format!("{name} group");
            match parent {
                None => {
                    g.plan =
                        ["premium", "free", "ultimate", "premium", "free"][tops.len() % 5].into();
                    g.visibility = [
                        Visibility::Private,
                        Visibility::Internal,
                        Visibility::Public,
                    ][if tops.is_empty() { 0 } else { rng.below(3) }];
                    tops.push(id);
                }
                Some(_) => {
                    g.visibility = if rng.chance(0.7) {
                        Visibility::Private
                    } else {
                        Visibility::Internal
                    };
                }
            }
            groups.push((id, parent.map_or(0, |p| p.1 + 1)));
        }
        let org = tops[0];
        w.add_member(Source::Group(org), main, access::OWNER);
        let top_roles = [
            Some(access::MAINTAINER),
            Some(access::DEVELOPER),
            Some(access::REPORTER),
            None,
            Some(access::MAINTAINER),
            Some(access::GUEST),
            None,
        ];
        for (i, top) in tops.iter().enumerate().skip(1) {
            if let Some(level) = top_roles[(i - 1) % top_roles.len()] {
                w.add_member(Source::Group(*top), main, level);
            }
        }

        // People: all belong to the organisation; most are its enterprise users.
        let n_projects = spec.projects;
        let others = spec.users.saturating_sub(2);
        let n_bots = ((others as f64 * spec.bot_share).round() as usize)
            .min(n_projects)
            .min(others);
        let n_people = others - n_bots;
        let org_domain = format!("{}.example", w.group(org).expect("org").path);
        let mut people: Vec<Id> = Vec::with_capacity(n_people);
        for i in 0..n_people {
            let (first, last) = (FIRST[i % FIRST.len()], LAST[(i / FIRST.len()) % LAST.len()]);
            let username = format!("{first}.{last}{}", i + 1);
            let id = w.add_user(
                &username,
                &format!("{} {}", capitalize(first), capitalize(last)),
            );
            let enterprise = rng.chance(0.6);
            let blocked = rng.chance(spec.blocked_share);
            let public = rng.chance(0.2);
            let job = *rng.pick(JOBS);
            let u = w.user_mut(id).expect("just added");
            u.created_at = now - Duration::minutes(((n_people - i) as i64) * 7);
            u.active = !blocked;
            u.job_title = job.to_string();
            if enterprise {
                u.email = format!("{username}@{org_domain}");
                u.enterprise_group_id = Some(org);
            } else {
                u.email = format!("{username}@mail.example");
            }
            if public {
                u.public_email = u.email.clone();
            }
            let level = match rng.below(100) {
                0..2 => access::OWNER,
                2..10 => access::MAINTAINER,
                10..80 => access::DEVELOPER,
                80..95 => access::REPORTER,
                _ => access::GUEST,
            };
            w.add_member_record(
                Source::Group(org),
                Member {
                    user_id: id,
                    access_level: level,
                    created_at: now - Duration::days(rng.below(700) as i64),
                    created_by: admin,
                    expires_at: rng
                        .chance(0.05)
                        .then(|| now.date_naive() + Duration::days(90)),
                },
            );
            people.push(id);
        }
        if !people.is_empty() {
            for &(g, _) in groups.iter().skip(1) {
                let n = if w.group(g).and_then(|g| g.parent_id).is_none() {
                    10
                } else {
                    3
                };
                for _ in 0..n.min(people.len()) {
                    let user = *rng.pick(&people);
                    let level =
                        *rng.pick(&[access::DEVELOPER, access::REPORTER, access::MAINTAINER]);
                    w.add_member(Source::Group(g), user, level);
                }
            }
        }

        // Projects.
        let direct_roles = [
            access::DEVELOPER,
            access::REPORTER,
            access::GUEST,
            access::MAINTAINER,
        ];
        let mut direct_count = 0;
        let mut project_ids = Vec::with_capacity(n_projects);
        for i in 0..n_projects {
            let (a, b) = (
                WORDS[rng.below(WORDS.len())],
                THINGS[rng.below(THINGS.len())],
            );
            let path = format!("{a}-{b}-{}", i + 1);
            let name = format!("{} {} {}", capitalize(a), capitalize(b), i + 1);
            let personal_main = i == 1 && n_projects >= 3;
            let owner = if personal_main {
                Owner::User(main)
            } else if !people.is_empty() && rng.chance(0.06) {
                Owner::User(*rng.pick(&people))
            } else if i == 2 {
                Owner::Group(org)
            } else {
                Owner::Group(groups[rng.below(groups.len())].0)
            };
            let id = w.add_project(&name, &path, owner);
            let group_vis = match owner {
                Owner::Group(g) => w.group(g).expect("group").visibility,
                Owner::User(_) => Visibility::Public,
            };
            let visibility = match (group_vis, rng.below(3)) {
                (Visibility::Private, _) | (_, 0) => Visibility::Private,
                (Visibility::Internal, _) | (_, 1) => Visibility::Internal,
                _ => Visibility::Public,
            };
            let archived = (i == 2 && n_projects >= 4 && spec.archived_share > 0.0)
                || rng.chance(spec.archived_share);
            let topics: Vec<String> = (0..rng.below(3))
                .map(|_| rng.pick(TOPICS).to_string())
                .collect();
            let empty = rng.chance(0.03);
            let stars = rng.below(50) as u32;
            let p = w.project_mut(id).expect("just added");
            p.visibility = visibility;
            p.archived = archived;
            p.topics = topics;
            p.empty_repo = empty;
            p.star_count = stars;
            p.description = format!("The {a} {b}.");
            p.created_at = now - Duration::minutes(((n_projects - i) as i64) * 60);
            p.last_activity_at = p.created_at + Duration::minutes(30);
            if matches!(owner, Owner::Group(_)) {
                if w.project_access(main, id).max().is_none() && rng.chance(0.3) {
                    let level = direct_roles[direct_count % direct_roles.len()];
                    direct_count += 1;
                    w.add_member(Source::Project(id), main, level);
                }
                if !people.is_empty() && rng.chance(0.3) {
                    let user = *rng.pick(&people);
                    w.add_member(Source::Project(id), user, access::DEVELOPER);
                }
            }
            project_ids.push(id);
        }

        // Project bots: one per project, Maintainer of it.
        for i in 0..n_bots {
            let project = project_ids[(i * 7919) % project_ids.len()];
            let username = format!("project_{project}_bot_{:016x}", rng.next_u64());
            if w.user_by_username(&username).is_some() {
                continue;
            }
            let id = w.add_user(&username, &format!("Bot for project {project}"));
            let u = w.user_mut(id).expect("just added");
            u.kind = UserKind::ProjectBot;
            u.email = format!("{username}@noreply.example");
            w.add_member(Source::Project(project), id, access::MAINTAINER);
        }

        tokens::install(&mut w, main, admin);
        w
    }

    /// A small, realistic world for the app's demo mode: 40 projects in 11 groups (three
    /// levels deep), 30 users including two project bots and two blocked people, a few
    /// existing webhooks (one auto-disabled) and the [well-known tokens](crate::tokens).
    ///
    /// The main user `crawler-admin` owns `acme` (and so its subgroups), maintains `partners`,
    /// is Developer in `opensource` and Reporter in `research` (but Maintainer of
    /// `research/papers` directly), has direct roles on `finance` and `community` projects
    /// without belonging to those groups (so `finance`, a private group, is visible to them only
    /// through those projects), and two personal projects.
    pub fn demo() -> World {
        let mut w = World::empty();
        let mut rng = Rng::new(20_240_601);
        let now = w.created();
        let (admin, main) = add_fixed_users(&mut w);

        let people = [
            ("alice.martin", "Alice Martin"),
            ("bruno.silva", "Bruno Silva"),
            ("chen.wei", "Chen Wei"),
            ("dana.kowalski", "Dana Kowalski"),
            ("emeka.obi", "Emeka Obi"),
            ("fatima.zahra", "Fatima Zahra"),
            ("gustav.berg", "Gustav Berg"),
            ("hana.sato", "Hana Sato"),
            ("ivan.petrov", "Ivan Petrov"),
            ("julia.rossi", "Julia Rossi"),
            ("kofi.mensah", "Kofi Mensah"),
            ("lena.fischer", "Lena Fischer"),
            ("marco.bianchi", "Marco Bianchi"),
            ("nina.horvat", "Nina Horvat"),
            ("omar.haddad", "Omar Haddad"),
            ("priya.nair", "Priya Nair"),
            ("quentin.dubois", "Quentin Dubois"),
            ("rosa.garcia", "Rosa Garcia"),
            ("sven.larsen", "Sven Larsen"),
            ("tara.oconnor", "Tara O'Connor"),
            ("umar.farooq", "Umar Farooq"),
            ("vera.novak", "Vera Novak"),
            ("wen.li", "Wen Li"),
            ("yusuf.demir", "Yusuf Demir"),
            ("xavier.moreau", "Xavier Moreau"),
            ("zoe.kim", "Zoe Kim"),
        ];
        let mut ids = Vec::new();
        for (i, (username, name)) in people.iter().enumerate() {
            let id = w.add_user(username, name);
            let u = w.user_mut(id).expect("just added");
            u.created_at = now - Duration::days(800 - 20 * i as i64);
            u.active = !matches!(*username, "dana.kowalski" | "quentin.dubois");
            // The first 18 are Acme employees (enterprise users of `acme`).
            if i < 18 {
                u.email = format!("{username}@acme.example");
            } else {
                u.email = format!("{username}@mail.example");
            }
            if i % 4 == 0 {
                u.public_email = u.email.clone();
            }
            u.job_title = JOBS[i % JOBS.len()].to_string();
            ids.push(id);
        }

        let groups: [GroupRow; 11] = [
            (
                "Acme",
                "acme",
                None,
                Visibility::Private,
                "premium",
                Some(access::OWNER),
            ),
            (
                "Platform",
                "platform",
                Some("acme"),
                Visibility::Private,
                "",
                None,
            ),
            (
                "Infrastructure",
                "infra",
                Some("acme/platform"),
                Visibility::Private,
                "",
                None,
            ),
            ("Web", "web", Some("acme"), Visibility::Private, "", None),
            ("Data", "data", Some("acme"), Visibility::Private, "", None),
            (
                "Partners",
                "partners",
                None,
                Visibility::Internal,
                "free",
                Some(access::MAINTAINER),
            ),
            (
                "Integrations",
                "integrations",
                Some("partners"),
                Visibility::Internal,
                "",
                None,
            ),
            (
                "Open Source",
                "opensource",
                None,
                Visibility::Public,
                "ultimate",
                Some(access::DEVELOPER),
            ),
            (
                "Research",
                "research",
                None,
                Visibility::Private,
                "premium",
                Some(access::REPORTER),
            ),
            (
                "Finance",
                "finance",
                None,
                Visibility::Private,
                "premium",
                None,
            ),
            (
                "Community",
                "community",
                None,
                Visibility::Public,
                "free",
                None,
            ),
        ];
        for (i, (name, path, parent, vis, plan, role)) in groups.into_iter().enumerate() {
            let parent = parent.map(|p| w.group_by_path(p).expect("parent listed first").id);
            let id = w.add_group(name, path, parent);
            let g = w.group_mut(id).expect("just added");
            g.visibility = vis;
            g.description = format!("{name} group");
            g.created_at = now - Duration::days(1200 - 30 * i as i64);
            if !plan.is_empty() {
                g.plan = plan.into();
            }
            if let Some(level) = role {
                w.add_member(Source::Group(id), main, level);
            }
        }
        let acme = w.group_by_path("acme").expect("acme").id;
        // Acme employees are enterprise users and members of `acme`.
        for (i, &id) in ids.iter().enumerate().take(18) {
            w.user_mut(id).expect("user").enterprise_group_id = Some(acme);
            let level = [
                access::DEVELOPER,
                access::DEVELOPER,
                access::REPORTER,
                access::MAINTAINER,
                access::GUEST,
            ][i % 5];
            w.add_member_record(
                Source::Group(acme),
                Member {
                    user_id: id,
                    access_level: if i == 0 { access::OWNER } else { level },
                    created_at: now - Duration::days(600 - 10 * i as i64),
                    created_by: admin,
                    expires_at: (i == 7).then(|| now.date_naive() + Duration::days(60)),
                },
            );
        }
        for path in [
            "acme/platform",
            "acme/platform/infra",
            "acme/web",
            "acme/data",
            "partners",
            "partners/integrations",
            "opensource",
            "research",
            "finance",
            "community",
        ] {
            let g = w.group_by_path(path).expect("listed above").id;
            for _ in 0..4 {
                let user = *rng.pick(&ids);
                let level = *rng.pick(&[
                    access::DEVELOPER,
                    access::MAINTAINER,
                    access::REPORTER,
                    access::OWNER,
                ]);
                w.add_member(Source::Group(g), user, level);
            }
        }

        type P<'a> = (&'a str, &'a str, &'a str, bool, &'a [&'a str]);
        let projects: &[P] = &[
            (
                "acme",
                "handbook",
                "The Acme company handbook.",
                false,
                &["docs"],
            ),
            (
                "acme",
                "ci-templates",
                "Shared CI/CD templates.",
                false,
                &["ci"],
            ),
            (
                "acme/platform",
                "api-gateway",
                "Edge API gateway.",
                false,
                &["go", "api"],
            ),
            (
                "acme/platform",
                "auth-service",
                "Login, sessions and tokens.",
                false,
                &["rust"],
            ),
            (
                "acme/platform",
                "billing-core",
                "Old billing engine.",
                true,
                &["java"],
            ),
            (
                "acme/platform/infra",
                "terraform-modules",
                "Terraform modules.",
                false,
                &["terraform"],
            ),
            (
                "acme/platform/infra",
                "k8s-manifests",
                "Kubernetes manifests.",
                false,
                &["kubernetes"],
            ),
            (
                "acme/platform/infra",
                "observability",
                "Dashboards and alerts.",
                false,
                &[],
            ),
            (
                "acme/web",
                "storefront",
                "The customer-facing shop.",
                false,
                &["typescript"],
            ),
            (
                "acme/web",
                "design-system",
                "UI components.",
                false,
                &["typescript", "design"],
            ),
            ("acme/web", "marketing-site", "acme.example", false, &[]),
            (
                "acme/web",
                "mobile-app",
                "iOS and Android app.",
                false,
                &["kotlin", "swift"],
            ),
            (
                "acme/web",
                "legacy-portal",
                "Retired customer portal.",
                true,
                &[],
            ),
            (
                "acme/data",
                "etl-pipelines",
                "Nightly ETL jobs.",
                false,
                &["python"],
            ),
            (
                "acme/data",
                "warehouse-models",
                "dbt models.",
                false,
                &["sql"],
            ),
            ("acme/data", "ml-experiments", "Notebooks.", false, &["ml"]),
            (
                "partners",
                "partner-portal",
                "Portal for resellers.",
                false,
                &[],
            ),
            ("partners", "sdk-python", "Python SDK.", false, &["python"]),
            ("partners", "sdk-go", "Go SDK.", false, &["go"]),
            (
                "partners/integrations",
                "slack-bot",
                "Slack notifications.",
                false,
                &[],
            ),
            (
                "partners/integrations",
                "jira-sync",
                "Jira issue sync.",
                false,
                &[],
            ),
            (
                "partners/integrations",
                "webhook-relay",
                "Deprecated relay.",
                true,
                &[],
            ),
            (
                "opensource",
                "docs-site",
                "Public documentation.",
                false,
                &["docs"],
            ),
            (
                "opensource",
                "cli",
                "Command-line client.",
                false,
                &["rust", "cli"],
            ),
            (
                "opensource",
                "helm-charts",
                "Helm charts.",
                false,
                &["kubernetes"],
            ),
            (
                "opensource",
                "vscode-extension",
                "Editor extension.",
                false,
                &["typescript"],
            ),
            ("opensource", "blog", "Engineering blog.", false, &[]),
            ("opensource", "old-website", "The 2019 website.", true, &[]),
            ("research", "papers", "Papers and drafts.", false, &[]),
            (
                "research",
                "prototypes",
                "Throwaway prototypes.",
                false,
                &[],
            ),
            ("research", "datasets", "Archived datasets.", true, &[]),
            ("finance", "ledger", "General ledger exports.", false, &[]),
            ("finance", "payroll-scripts", "Payroll helpers.", false, &[]),
            ("finance", "budget-2019", "Budget 2019.", true, &[]),
            ("community", "forum", "Community forum.", false, &[]),
            ("community", "awesome-list", "Curated links.", false, &[]),
            ("community", "meetups", "Meetup material.", false, &[]),
            ("crawler-admin", "dotfiles", "My dotfiles.", false, &[]),
            ("crawler-admin", "scratch", "Scratch space.", false, &[]),
            ("alice.martin", "notes", "Alice's notes.", false, &[]),
        ];
        for (i, (ns, path, description, archived, topics)) in projects.iter().enumerate() {
            let (owner, vis) = match w.group_by_path(ns) {
                Some(g) => (Owner::Group(g.id), g.visibility),
                None => (
                    Owner::User(w.user_by_username(ns).expect("user namespace").id),
                    Visibility::Private,
                ),
            };
            let name = path
                .split('-')
                .map(capitalize)
                .collect::<Vec<_>>()
                .join(" ");
            let id = w.add_project(&name, path, owner);
            let p = w.project_mut(id).expect("just added");
            p.description = description.to_string();
            p.archived = *archived;
            p.visibility = vis;
            p.topics = topics.iter().map(|t| t.to_string()).collect();
            p.star_count = (i * 7 % 23) as u32;
            p.created_at = now - Duration::days(1000 - 20 * i as i64);
            p.last_activity_at = now - Duration::hours(3 * i as i64 + 1);
        }
        let project = |w: &World, path: &str| w.project_by_path(path).expect("listed above").id;
        for (path, level) in [
            ("research/papers", access::MAINTAINER),
            ("finance/ledger", access::DEVELOPER),
            ("finance/budget-2019", access::REPORTER),
            ("community/forum", access::DEVELOPER),
            ("community/awesome-list", access::REPORTER),
            ("community/meetups", access::GUEST),
        ] {
            let id = project(&w, path);
            w.add_member(Source::Project(id), main, level);
        }
        for (i, path) in [
            "opensource/cli",
            "partners/sdk-python",
            "acme/web/storefront",
        ]
        .iter()
        .enumerate()
        {
            let id = project(&w, path);
            w.add_member(Source::Project(id), ids[18 + i], access::DEVELOPER);
        }

        // Two project bots (project access tokens).
        for (path, hex) in [
            ("acme/platform/api-gateway", "a1b2c3d4e5f60718"),
            ("partners/sdk-python", "0f1e2d3c4b5a6978"),
        ] {
            let pid = project(&w, path);
            let username = format!("project_{pid}_bot_{hex}");
            let id = w.add_user(
                &username,
                &format!("{} deploy bot", path.rsplit('/').next().unwrap_or(path)),
            );
            let u = w.user_mut(id).expect("just added");
            u.kind = UserKind::ProjectBot;
            u.email = format!("{username}@noreply.example");
            w.add_member(Source::Project(pid), id, access::MAINTAINER);
        }

        // Existing webhooks.
        let storefront = project(&w, "acme/web/storefront");
        let h = w.add_hook(
            HookOwner::Project(storefront),
            "https://ci.acme.example/gitlab/webhook",
            Some("ci-secret"),
        );
        let hook = w.hook_mut(h).expect("just added");
        hook.name = "CI trigger".into();
        hook.events.insert("merge_requests_events".into(), true);
        let gateway = project(&w, "acme/platform/api-gateway");
        let h = w.add_hook(
            HookOwner::Project(gateway),
            "https://alerts.acme.example/hooks/gitlab",
            None,
        );
        let hook = w.hook_mut(h).expect("just added");
        hook.name = "Old alerting".into();
        hook.alert_status = AlertStatus::Disabled;
        let h = w.add_hook(
            HookOwner::Group(acme),
            "https://audit.acme.example/gitlab",
            Some("audit-secret"),
        );
        let hook = w.hook_mut(h).expect("just added");
        hook.name = "Audit log".into();
        hook.events.insert("member_events".into(), true);
        hook.events.insert("subgroup_events".into(), true);

        tokens::install(&mut w, main, admin);
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_world_has_every_role_and_archived_projects_for_the_main_user() {
        let w = World::demo();
        let main = w.user_by_username(tokens::MAIN_USER).unwrap().id;
        let roles = w.project_roles(main);
        for level in [
            access::GUEST,
            access::REPORTER,
            access::DEVELOPER,
            access::MAINTAINER,
            access::OWNER,
        ] {
            assert!(
                roles.get(&level).copied().unwrap_or(0) > 0,
                "role {level} missing: {roles:?}"
            );
        }
        assert_eq!(w.project_count(), 40);
        assert_eq!(w.user_count(), 30);
        assert!(
            w.member_projects(main, access::GUEST)
                .iter()
                .any(|p| w.project(*p).unwrap().archived)
        );
        let finance = w.group_by_path("finance").unwrap();
        assert!(
            w.can_see_group(main, finance),
            "visible through its projects"
        );
        assert_eq!(w.group_access(main, finance.id), None);
        let payroll = w.project_by_path("finance/payroll-scripts").unwrap();
        assert!(!w.can_see_project(main, payroll));
    }

    #[test]
    fn seeded_worlds_are_deterministic_and_sized_as_asked() {
        let spec = WorldSpec {
            seed: 9,
            projects: 300,
            groups: 30,
            users: 500,
            ..WorldSpec::default()
        };
        let a = World::seeded(spec.clone());
        let b = World::seeded(spec.clone());
        let c = World::seeded(WorldSpec { seed: 10, ..spec });
        assert_eq!(a.project_count(), 300);
        assert_eq!(a.user_count(), 500);
        assert_eq!(a.groups().count(), 30);
        let names = |w: &World| {
            w.projects()
                .map(|p| p.path_with_namespace.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&a), names(&b));
        assert_ne!(names(&a), names(&c));
        let main = a.user_by_username(tokens::MAIN_USER).unwrap().id;
        let roles = a.project_roles(main);
        for level in [
            access::GUEST,
            access::REPORTER,
            access::DEVELOPER,
            access::MAINTAINER,
            access::OWNER,
        ] {
            assert!(
                roles.get(&level).copied().unwrap_or(0) > 0,
                "role {level} missing: {roles:?}"
            );
        }
        assert!(a.users().any(|u| u.kind == UserKind::ProjectBot));
        let tiny = World::seeded(WorldSpec {
            projects: 0,
            groups: 0,
            users: 0,
            ..WorldSpec::default()
        });
        assert_eq!(
            (
                tiny.user_count(),
                tiny.groups().count(),
                tiny.project_count()
            ),
            (2, 1, 0)
        );
        assert!(tiny.token(tokens::API).is_some());
        assert!(a.users().any(|u| !u.active));
    }

    #[test]
    fn seeding_a_hundred_thousand_users_is_fast() {
        let start = std::time::Instant::now();
        let w = World::seeded(WorldSpec {
            users: 100_000,
            projects: 1_000,
            groups: 50,
            ..WorldSpec::default()
        });
        assert_eq!(w.user_count(), 100_000);
        let org = w.groups().next().unwrap().id;
        assert!(w.members(Source::Group(org)).count() > 95_000);
        // Debug builds are several times slower than release; this still bounds it.
        assert!(
            start.elapsed().as_secs_f64() < 3.0,
            "took {:?}",
            start.elapsed()
        );
    }
}
