"""The monthly assessment of grid workers (考核): the county's versioned scheme (德能勤绩 and
their lines), leave requests that lower what is expected of a worker, and the monthly run that
scores every grid worker and explains every line on a sheet (DOMAIN.md "Assessment of grid
workers")."""
