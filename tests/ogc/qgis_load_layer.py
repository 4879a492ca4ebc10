"""Run by Debian's python3 with QGIS (python3-qgis), not by pytest: loads one /ogc/ collection as a QGIS
OGC API - Features layer with a Basic authentication configuration (username + API token) and prints
`features=<n> codes=<comma-separated codes>`; exits 1 when the layer is not valid.

Usage: python3 qgis_load_layer.py <base url of /ogc/> <collection> <username> <token>
"""

import os
import sys
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QGIS_AUTH_DB_DIR_PATH", tempfile.mkdtemp(prefix="qgis-auth-"))

from qgis.core import QgsApplication, QgsAuthMethodConfig, QgsVectorLayer

base, collection, username, token = sys.argv[1:5]
app = QgsApplication([], False)
app.initQgis()
auth = QgsApplication.authManager()
# A new authentication database asks for its master password once; this one is throw-away.
auth.setMasterPassword("throw-away", True)
config = QgsAuthMethodConfig("Basic")
config.setName("hezhang")
config.setConfig("username", username)
config.setConfig("password", token)
ok, config = auth.storeAuthenticationConfig(config)
if not ok:
    print("could not store the authentication configuration")
    sys.exit(1)
uri = f"url='{base}' typename='{collection}' authcfg='{config.id()}'"
layer = QgsVectorLayer(uri, collection, "OAPIF")
if not layer.isValid():
    print(f"invalid layer: {layer.error().summary()}", flush=True)
    os._exit(1)
codes = sorted(str(f["code"]) for f in layer.getFeatures())
print(f"features={layer.featureCount()} codes={','.join(codes)}", flush=True)
# QGIS 3.22 may crash while tearing down in a headless script (exitQgis); the answer is out already.
os._exit(0)
