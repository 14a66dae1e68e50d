"""The HR sync: people from the company's HR (a CSV export or the directory) kept in step.

`portgate enroll sync FILE|--ldap --site SITE` reads the source (`sources`: every entry
checked, an entry without a required attribute reported and skipped), compares it with
the people the sync manages at the site (`plan`: pure, the diff a dry run prints), and
with ``--apply`` applies it through the audited crud (`apply`: joiners enrolled, changes
of name or company made, leavers revoked with their validity ending the same day) and
keeps a report of the run (`central_api.models.HrSyncReport`). A second run over the same
source finds nothing to do. docs/directory.md.
"""
