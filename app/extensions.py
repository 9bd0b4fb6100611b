"""Flask extension objects, created unbound and attached to each app by the factory."""

from flask_appbuilder.models.sqla.base import SQLA
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

# FAB's SQLA subclass lets Flask-SQLAlchemy's session serve FAB's declarative
# models; the schema itself belongs to the Alembic migrations.
db = SQLA()
migrate = Migrate()
# FAB 5.3 does not register CSRF protection itself.
csrf = CSRFProtect()
