//! [`MemoryGrants`]: the grant storage contract in memory, for the rules' unit tests.

use std::collections::HashMap;

use super::*;

#[derive(Default)]
pub struct MemoryGrants {
    pub codes: HashMap<Vec<u8>, CodeRow>,
    pub redemptions: HashMap<Vec<u8>, RedeemedRow>,
    pub refresh: HashMap<Vec<u8>, RefreshRow>,
    /// `(jti, family, exp)` of access tokens issued from refresh families.
    pub family_access: Vec<(String, String, UnixTime)>,
    pub revoked_jtis: HashMap<String, UnixTime>,
    /// `jti` → its status reference.
    pub statuses: HashMap<String, (String, i64)>,
    pub users: HashMap<String, User>,
    pub consents: HashMap<(String, String), Scope>,
    /// Hashes of pushed requests not yet used up.
    pub pushed: std::collections::HashSet<Vec<u8>>,
    /// What every user's factors can reach (`None`: a password only).
    pub reachable: Option<Level>,
    /// Exchanged tokens by the `jti` they came from.
    pub exchanged: HashMap<String, Vec<Exchanged>>,
    /// Device codes by hash.
    pub device_codes: HashMap<String, DeviceCodeRow>,
}

impl MemoryGrants {
    pub fn with_user(user: User) -> Self {
        let mut m = Self::default();
        m.users.insert(user.id.clone(), user);
        m
    }

    pub fn is_revoked(&self, jti: &str) -> bool {
        self.revoked_jtis.contains_key(jti)
    }

    pub fn family_revoked(&self, family: &str) -> bool {
        self.refresh
            .values()
            .filter(|r| r.family_id == family)
            .all(|r| r.revoked_at.is_some())
    }
}

impl GrantStore for MemoryGrants {
    fn insert_code(&mut self, row: &CodeRow, _now: UnixTime) -> Result<(), StoreError> {
        self.codes.insert(row.code_hash.clone(), row.clone());
        Ok(())
    }

    fn consume_pushed(&mut self, uri_hash: &[u8]) -> Result<bool, StoreError> {
        Ok(self.pushed.remove(uri_hash))
    }

    fn consume_code(
        &mut self,
        code_hash: &[u8],
        client_id: &str,
        redemption: &RedeemedRow,
    ) -> Result<Option<CodeRow>, StoreError> {
        match self.codes.get(code_hash) {
            Some(row) if row.client_id == client_id => {
                self.redemptions
                    .insert(code_hash.to_vec(), redemption.clone());
                Ok(self.codes.remove(code_hash))
            }
            _ => Ok(None),
        }
    }

    fn is_redeemed(&mut self, code_hash: &[u8]) -> Result<bool, StoreError> {
        Ok(self.redemptions.contains_key(code_hash))
    }

    fn take_redemption(
        &mut self,
        code_hash: &[u8],
        client_id: &str,
    ) -> Result<Option<RedeemedRow>, StoreError> {
        match self.redemptions.get(code_hash) {
            Some(row) if row.client_id == client_id => Ok(self.redemptions.remove(code_hash)),
            _ => Ok(None),
        }
    }

    fn find_refresh(&mut self, hash: &[u8]) -> Result<Option<RefreshRow>, StoreError> {
        Ok(self.refresh.get(hash).cloned())
    }

    fn consume_refresh(
        &mut self,
        hash: &[u8],
        client_id: &str,
        now: UnixTime,
    ) -> Result<Option<RefreshRow>, StoreError> {
        let Some(row) = self.refresh.get_mut(hash) else {
            return Ok(None);
        };
        let live = row.client_id == client_id
            && row.consumed_at.is_none()
            && row.revoked_at.is_none()
            && row.expires_at > now;
        if !live {
            return Ok(None);
        }
        row.consumed_at = Some(now);
        Ok(Some(row.clone()))
    }

    fn insert_refresh(
        &mut self,
        row: &RefreshRow,
        access_jti: &str,
        access_expires_at: UnixTime,
    ) -> Result<(), StoreError> {
        self.refresh.insert(row.token_hash.clone(), row.clone());
        self.family_access.push((
            access_jti.to_string(),
            row.family_id.clone(),
            access_expires_at,
        ));
        Ok(())
    }

    fn revoke_family(&mut self, family_id: &str, now: UnixTime) -> Result<(), StoreError> {
        for row in self.refresh.values_mut() {
            if row.family_id == family_id && row.revoked_at.is_none() {
                row.revoked_at = Some(now);
            }
        }
        for (jti, family, exp) in &self.family_access {
            if family == family_id && *exp > now {
                self.revoked_jtis.insert(jti.clone(), *exp);
            }
        }
        Ok(())
    }

    fn revoke_jti(
        &mut self,
        jti: &str,
        _status: Option<(&str, i64)>,
        exp: UnixTime,
        _now: UnixTime,
    ) -> Result<(), StoreError> {
        self.revoked_jtis.insert(jti.to_string(), exp);
        Ok(())
    }

    fn record_status(
        &mut self,
        list_id: &str,
        idx: i64,
        jti: &str,
        _sid: Option<&str>,
        _exp: UnixTime,
    ) -> Result<(), StoreError> {
        self.statuses
            .insert(jti.to_string(), (list_id.to_string(), idx));
        Ok(())
    }

    fn find_user(&mut self, id: &str) -> Result<Option<User>, StoreError> {
        Ok(self.users.get(id).cloned())
    }

    fn exchanged_from(
        &mut self,
        parent_jti: &str,
        now: UnixTime,
    ) -> Result<Vec<Exchanged>, StoreError> {
        Ok(self
            .exchanged
            .get(parent_jti)
            .map(|v| v.iter().filter(|e| e.exp > now).cloned().collect())
            .unwrap_or_default())
    }

    fn find_device_code(&mut self, hash: &str) -> Result<Option<DeviceCodeRow>, StoreError> {
        Ok(self.device_codes.get(hash).cloned())
    }

    fn device_polled(
        &mut self,
        hash: &str,
        interval: i64,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        if let Some(r) = self.device_codes.get_mut(hash) {
            r.last_poll_at = Some(now);
            r.poll_interval = interval;
        }
        Ok(())
    }

    fn redeem_device_code(&mut self, hash: &str, now: UnixTime) -> Result<bool, StoreError> {
        Ok(match self.device_codes.get_mut(hash) {
            Some(r) if r.status == "approved" && r.redeemed_at.is_none() => {
                r.redeemed_at = Some(now);
                true
            }
            _ => false,
        })
    }

    fn reachable_level(&mut self, _user_id: &str) -> Result<Level, StoreError> {
        Ok(self.reachable.unwrap_or(Level::PASSWORD))
    }

    fn consent(&mut self, user_id: &str, client_id: &str) -> Result<Scope, StoreError> {
        Ok(self
            .consents
            .get(&(user_id.to_string(), client_id.to_string()))
            .cloned()
            .unwrap_or_default())
    }

    fn save_consent(
        &mut self,
        user_id: &str,
        client_id: &str,
        scope: &Scope,
        _now: UnixTime,
    ) -> Result<(), StoreError> {
        self.consents
            .insert((user_id.to_string(), client_id.to_string()), scope.clone());
        Ok(())
    }
}
