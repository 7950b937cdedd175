//! Roles, the actions they may take, and the data scope of a user.
//!
//! Permissions are data: the defaults below seed the `role_permissions` table
//! and the admin page shows what is in force. The three administrator roles
//! are kept apart as MLPS 2.0 level 3 (GB/T 22239-2019, 8.1.4.2 "三权分立")
//! requires: whoever manages accounts cannot read the audit trail, and whoever
//! reads the audit trail cannot change accounts or people. Accounts are opened
//! by the system administrator with no role and a generated first password;
//! the security administrator alone gives them a role and region.

use crate::regions::RegionCode;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 系统管理员: accounts and system settings, no person data.
    SystemAdmin,
    /// 安全管理员: permissions, security policy, unlocking accounts.
    SecurityAdmin,
    /// 审计管理员: reads and exports the audit trail, nothing else.
    Auditor,
    /// 市/县/镇 official: the register and programmes of their region subtree.
    Official,
    /// 机构工作人员: the people enrolled in their facility.
    FacilityStaff,
    /// 社工: the people of their station's villages.
    SocialWorker,
    /// 只读查看: figures and records of their region, no changes.
    Viewer,
    /// 心理咨询师: a facility's counsellor, the only role that reads counselling notes.
    Counsellor,
    /// 待授权: an account the system administrator opened and the security
    /// administrator has not yet given a role; it may do nothing.
    Unassigned,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::SystemAdmin,
        Role::SecurityAdmin,
        Role::Auditor,
        Role::Official,
        Role::FacilityStaff,
        Role::SocialWorker,
        Role::Viewer,
        Role::Counsellor,
        Role::Unassigned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::SystemAdmin => "system_admin",
            Role::SecurityAdmin => "security_admin",
            Role::Auditor => "auditor",
            Role::Official => "official",
            Role::FacilityStaff => "facility_staff",
            Role::SocialWorker => "social_worker",
            Role::Viewer => "viewer",
            Role::Counsellor => "counsellor",
            Role::Unassigned => "unassigned",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::SystemAdmin => "系统管理员",
            Role::SecurityAdmin => "安全管理员",
            Role::Auditor => "审计管理员",
            Role::Official => "业务主管",
            Role::FacilityStaff => "机构工作人员",
            Role::SocialWorker => "社工",
            Role::Viewer => "只读查看",
            Role::Counsellor => "心理咨询师",
            Role::Unassigned => "待授权",
        }
    }

    /// Administrators must use a second factor (MLPS 2.0 level 3 asks for two
    /// kinds of authentication for privileged users).
    pub fn is_administrator(self) -> bool {
        matches!(
            self,
            Role::SystemAdmin | Role::SecurityAdmin | Role::Auditor
        )
    }

    /// The roles a security administrator may grant: the business roles.
    /// The three administrator roles are given at the command line by whoever
    /// runs the server, so that no administrator can make another (or
    /// themselves) into a second one of a different kind.
    pub fn grantable(self) -> bool {
        !self.is_administrator() && self != Role::Unassigned
    }

    /// Roles bound to one facility's people rather than to a region.
    pub fn needs_facility(self) -> bool {
        matches!(self, Role::FacilityStaff | Role::Counsellor)
    }
}

/// Something a user can do. Checked by the use case, before any store call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Browse the region tree of one's scope.
    RegionRead,
    /// Load another province's region tree.
    RegionImport,
    /// Open and disable user accounts (no role, no password of one's choice).
    UserManage,
    /// Give an account its role and region (the security administrator).
    RoleGrant,
    /// See which role may do what.
    PermissionRead,
    /// Search and read the audit trail.
    AuditRead,
    /// Read people of one's scope (masked).
    PersonRead,
    /// Create and change people of one's scope.
    PersonWrite,
    /// Reveal a masked sensitive value, with a reason.
    PersonReveal,
    /// Export people of one's scope.
    PersonExport,
    /// See facilities of one's scope, their figures, ratings and funds.
    FacilityRead,
    /// Create and change facilities, ratings, brand projects, pairings and funds.
    FacilityManage,
    /// Enrol people and record attendance, services and piecework output.
    ServiceRecord,
    /// Write and read counselling notes.
    CounsellingNotes,
}

impl Action {
    pub const ALL: [Action; 14] = [
        Action::RegionRead,
        Action::RegionImport,
        Action::UserManage,
        Action::RoleGrant,
        Action::PermissionRead,
        Action::AuditRead,
        Action::PersonRead,
        Action::PersonWrite,
        Action::PersonReveal,
        Action::PersonExport,
        Action::FacilityRead,
        Action::FacilityManage,
        Action::ServiceRecord,
        Action::CounsellingNotes,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::RegionRead => "region.read",
            Action::RegionImport => "region.import",
            Action::UserManage => "user.manage",
            Action::RoleGrant => "role.grant",
            Action::PermissionRead => "permission.read",
            Action::AuditRead => "audit.read",
            Action::PersonRead => "person.read",
            Action::PersonWrite => "person.write",
            Action::PersonReveal => "person.reveal",
            Action::PersonExport => "person.export",
            Action::FacilityRead => "facility.read",
            Action::FacilityManage => "facility.manage",
            Action::ServiceRecord => "service.record",
            Action::CounsellingNotes => "counselling.notes",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Action::RegionRead => "浏览行政区划",
            Action::RegionImport => "导入行政区划",
            Action::UserManage => "开设和停用账号",
            Action::RoleGrant => "授予角色和区划",
            Action::PermissionRead => "查看角色权限",
            Action::AuditRead => "查阅审计日志",
            Action::PersonRead => "查看人员信息（脱敏）",
            Action::PersonWrite => "新增和修改人员",
            Action::PersonReveal => "查看完整敏感信息",
            Action::PersonExport => "导出人员",
            Action::FacilityRead => "查看服务机构",
            Action::FacilityManage => "管理服务机构、评星、资金",
            Action::ServiceRecord => "入托、签到、服务和计件记录",
            Action::CounsellingNotes => "心理咨询记录",
        }
    }
}

/// The permissions each role starts with; the database holds the ones in force.
pub fn default_permissions(role: Role) -> &'static [Action] {
    use Action::*;
    match role {
        Role::SystemAdmin => &[RegionRead, RegionImport, UserManage, PermissionRead],
        Role::SecurityAdmin => &[RegionRead, PermissionRead, RoleGrant],
        Role::Auditor => &[RegionRead, AuditRead],
        Role::Official => &[
            RegionRead,
            PersonRead,
            PersonWrite,
            PersonReveal,
            PersonExport,
            FacilityRead,
            FacilityManage,
            ServiceRecord,
        ],
        Role::FacilityStaff => &[
            RegionRead,
            PersonRead,
            PersonWrite,
            FacilityRead,
            ServiceRecord,
        ],
        Role::SocialWorker => &[RegionRead, PersonRead, PersonWrite, FacilityRead],
        Role::Viewer => &[RegionRead, PersonRead, FacilityRead],
        // Counselling notes are for counsellors alone: not even officials read them.
        Role::Counsellor => &[
            RegionRead,
            PersonRead,
            FacilityRead,
            ServiceRecord,
            CounsellingNotes,
        ],
        Role::Unassigned => &[],
    }
}

/// What part of the world a user's reads and writes are limited to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scope {
    /// Everything whose region code starts with this code.
    Region { region: RegionCode },
    /// The people of one facility; the facility's region bounds the rest.
    Facility {
        facility_id: i64,
        region: RegionCode,
    },
}

impl Scope {
    /// The region subtree that bounds this scope.
    pub fn region(&self) -> &RegionCode {
        match self {
            Scope::Region { region } | Scope::Facility { region, .. } => region,
        }
    }

    /// True when the region `code` lies inside this scope's region subtree.
    pub fn covers(&self, code: &RegionCode) -> bool {
        self.region().contains(code)
    }

    pub fn facility_id(&self) -> Option<i64> {
        match self {
            Scope::Region { .. } => None,
            Scope::Facility { facility_id, .. } => Some(*facility_id),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn administrator_duties_are_separated() {
        let has = |r: Role, a: Action| default_permissions(r).contains(&a);
        assert!(has(Role::SystemAdmin, Action::UserManage));
        assert!(!has(Role::SystemAdmin, Action::AuditRead));
        assert!(!has(Role::SystemAdmin, Action::PersonRead));
        assert!(has(Role::Auditor, Action::AuditRead));
        assert!(!has(Role::Auditor, Action::UserManage));
        assert!(!has(Role::Auditor, Action::PersonRead));
        assert!(!has(Role::SecurityAdmin, Action::UserManage));
        assert!(!has(Role::SecurityAdmin, Action::AuditRead));
        // Opening accounts and granting roles are two people's work.
        assert!(has(Role::SecurityAdmin, Action::RoleGrant));
        assert!(!has(Role::SystemAdmin, Action::RoleGrant));
        for admin in [Role::SystemAdmin, Role::SecurityAdmin, Role::Auditor] {
            assert!(!admin.grantable(), "{admin:?} is given at the command line");
            for person in [
                Action::PersonRead,
                Action::PersonReveal,
                Action::PersonExport,
            ] {
                assert!(!has(admin, person), "{admin:?} reads no people");
            }
        }
        assert!(default_permissions(Role::Unassigned).is_empty());
        assert!(Role::Official.grantable() && !Role::Unassigned.grantable());
    }

    #[test]
    fn names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
    }

    #[test]
    fn scope_covers_its_subtree_only() {
        let heshan = Scope::Region {
            region: RegionCode::parse("440784").unwrap(),
        };
        assert!(heshan.covers(&RegionCode::parse("440784103202").unwrap()));
        assert!(!heshan.covers(&RegionCode::parse("4407").unwrap()));
        assert!(!heshan.covers(&RegionCode::parse("445302").unwrap()));
    }
}
