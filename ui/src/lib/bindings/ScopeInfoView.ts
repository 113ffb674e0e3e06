// Generated from hubkey-core's IPC types (ts-rs) by `cargo test -p hubkey-desktop --test it bindings::export_bindings -- --ignored`. Do not edit.
/**
 * One scope of the catalog, explained (autocompletion in the registration form).
 */
export type ScopeInfoView = { name: string, 
/**
 * What it grants, in one sentence.
 */
grants: string, 
/**
 * The family id (`crm_objects`, `cms`…).
 */
family: string, 
/**
 * The lowest subscription that has it ("Marketing Hub Professional or Enterprise"); `None`: unknown.
 */
tier: string | null, 
/**
 * One of HubSpot's broad legacy names.
 */
legacy: boolean, 
/**
 * A sensitive-data scope.
 */
sensitive: boolean, 
/**
 * Finer-grained scopes to use instead (legacy names only).
 */
replaced_by: Array<string>, notes: string | null, };
