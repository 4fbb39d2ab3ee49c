"""Spreadsheet import/export shared by the admins (django-import-export).

* ``formula``: escape spreadsheet formulas on export and undo exactly that on import, so a
  value round-trips (the library's own escaping drops the ``=`` and so changes the value).
* ``admin``: the import/export admin mixins that enforce the project's rules (own
  permissions, atomic imports that write nothing while any row has an error, big exports
  in the background).
* ``models``/``services``/``tasks``: ``ExportJob`` — a background export stored in
  MEDIA_ROOT and downloaded from the admin when ready.
"""
