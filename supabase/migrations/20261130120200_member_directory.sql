-- People, not roles: the run history and the admin audit name the member (display name, email)
-- to members of the same org. auth.users is not readable by clients, so a definer function hands
-- out exactly these two fields, only for members of an org the caller belongs to, only when the
-- caller's JWT is scoped to that org. Nothing about users of other orgs.

create function public.org_member_directory(org_id uuid)
returns table (user_id uuid, role text, email text, display_name text)
language sql
stable
security definer
set search_path = ''
as $$
  select m.user_id, m.role, u.email::text,
    -- GoTrue keeps the name the user signed up with in raw_user_meta_data (full_name or name).
    coalesce(nullif(btrim(u.raw_user_meta_data ->> 'full_name'), ''), nullif(btrim(u.raw_user_meta_data ->> 'name'), ''))
  from public.organization_members m
  join auth.users u on u.id = m.user_id
  where m.org_id = org_member_directory.org_id
    and m.org_id in (select sync_auth.user_org_ids())
    and lower(coalesce(auth.jwt() ->> 'org_id', '')) = m.org_id::text
  order by m.role, u.email
$$;
comment on function public.org_member_directory(uuid) is
  'Definer: members of the caller''s own org with email and display name (auth.users is not client-readable). Empty for any other org.';
revoke all on function public.org_member_directory(uuid) from public, anon;
grant execute on function public.org_member_directory(uuid) to authenticated;
